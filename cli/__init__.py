"""The ``pantau`` command line: the entry point above every other package.

:mod:`cli.main` holds the ``pantau`` app and its core commands (``run``, ``detectors``, ``score``,
``dashboard``, ``deadletters``, ``config``, ``codes ...``) and attaches the sub-commands that live
with their area (``claims``, ``sources``, ``tipline``, ``registry``...). Run it as ``pantau`` or
``python -m cli``.
"""
