"""Media understanding: enrichers that turn images, audio and video into text, faces and hashes.

One plug-in per module (``probe``, ``video``, ``audio``, ``ocr``, ``faces``, ``hashes``, and the
``known_match`` detector); shared bounded decoding in ``decode``; model files in ``models``;
``pantau models`` in ``cli``. Safe fetching lives in :mod:`ingest.fetch`. See ``docs/media.md``.
Nothing is imported or loaded here.
"""
