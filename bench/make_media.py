"""Generate the demo media of ``ingest/samples/media/`` (deterministic pixels, small files).

Run ``.venv/bin/python bench/make_media.py`` to rebuild them (it lives in bench/, above detectors/, because it
embeds the watermark with ``detectors.synthetic.watermark``). Files:

- ``ai_c2pa_signed.jpg``: a drawn "portrait" with a C2PA manifest signed by the demo key,
  declaring ``digitalSourceType = trainedAlgorithmicMedia`` (``synthetic.provenance`` ->
  ``ai-declared``; ``c2pa_state`` ``valid-untrusted``, or ``trusted`` with the demo root CA
  in the trust list).
- ``ai_c2pa_tampered.jpg``: the same file with pixels changed after signing (``tampered``).
- ``sd_parameters.png``: a PNG with a Stable-Diffusion-web-UI ``parameters`` text chunk
  (``ai-metadata``).
- ``sd_watermarked.png``: carries the ``StableDiffusionV1`` dwtDct invisible watermark
  (``synthetic.watermark`` -> ``sd-watermark``).
- ``ai_disclosed.jpg``: a visible "AI-GENERATED / Dibuat dengan AI" banner and an XMP
  ``Iptc4xmpExt:DigitalSourceType`` declaration (``synthetic.disclosure`` -> ``disclosed``).
- ``photo_plain.jpg``: a photo-like picture (1/f noise landscape) with no metadata.

The signing key in ``demo_signing/`` is a DEMO KEY, committed on purpose and NOT A SECRET:
anyone can sign with it, so nothing it signs is trustworthy. It exists so that the demo
shows a valid manifest and the trust-list option (``demo_signing/demo-root-ca.pem``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

HERE = Path(__file__).resolve().parent.parent / "ingest" / "samples"
REPO = HERE.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

OUT = HERE / "media"
KEYS = OUT / "demo_signing"
KEY_FILE = KEYS / "DEMO-KEY-NOT-SECRET-es256.key.pem"
CHAIN_FILE = KEYS / "demo-signer-chain.pem"
ROOT_FILE = KEYS / "demo-root-ca.pem"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"

__all__ = ["main"]


def pink_noise(size: tuple[int, int], seed: int, exponent: float = 1.8) -> np.ndarray:
    """Return a (h, w) field with a 1/f^exponent spectrum, scaled to [0, 1] (no up-sampling involved)."""
    rng = np.random.default_rng(seed)
    h, w = size
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** (exponent / 2 + 0.5)
    spectrum[0, 0] = 0
    field = np.fft.irfft2(spectrum, s=(h, w))
    return (field - field.min()) / (np.ptp(field) + 1e-9)


def photo_like(size: tuple[int, int] = (480, 640), seed: int = 7) -> np.ndarray:
    """A landscape-like RGB picture: sky gradient, 1/f terrain, sensor noise."""
    h, w = size
    rng = np.random.default_rng(seed)
    sky = np.linspace(0, 1, h)[:, None] * np.ones((1, w))
    terrain = pink_noise(size, seed)
    horizon = (0.45 + 0.15 * pink_noise((1, w), seed + 1, 1.5))[0]
    ground = np.arange(h)[:, None] / h > horizon[None, :]
    rgb = np.zeros((h, w, 3))
    rgb[..., 0] = np.where(ground, 0.25 + 0.35 * terrain, 0.45 + 0.3 * sky)
    rgb[..., 1] = np.where(ground, 0.35 + 0.4 * terrain, 0.6 + 0.25 * sky)
    rgb[..., 2] = np.where(ground, 0.15 + 0.2 * terrain, 0.85 + 0.1 * sky)
    rgb += rng.normal(0, 0.015, rgb.shape)
    return np.clip(rgb * 255, 0, 255).astype(np.uint8)


def drawn_portrait(size: int = 384, seed: int = 3) -> np.ndarray:
    """A stylised face drawn at half size and up-sampled 2x the way a GAN decoder would (nearest)."""
    half = size // 2
    bg = pink_noise((half, half), seed)
    img = Image.fromarray(np.stack([bg * 120 + 60, bg * 90 + 70, bg * 140 + 90], -1).astype(np.uint8))
    d = ImageDraw.Draw(img)
    c, k = half // 2, half / 192

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (c + k * x0, c + k * y0, c + k * x1, c + k * y1)

    d.ellipse(box(-55, -70, 55, 75), fill=(224, 182, 150))
    d.ellipse(box(-32, -20, -12, -8), fill=(60, 40, 30))
    d.ellipse(box(12, -20, 32, -8), fill=(60, 40, 30))
    d.arc(box(-25, 15, 25, 45), 20, 160, fill=(150, 60, 60), width=max(1, round(4 * k)))
    d.rectangle(box(-60, 75, 60, 96), fill=(40, 60, 120))
    arr = np.asarray(img)
    return arr.repeat(2, axis=0).repeat(2, axis=1)


def ensure_demo_keys() -> tuple[bytes, bytes]:
    """Return (certificate chain PEM, private key PEM) of the demo signer, creating them once."""
    if KEY_FILE.is_file() and CHAIN_FILE.is_file():
        return CHAIN_FILE.read_bytes(), KEY_FILE.read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pantau DEMO - not a real signer"),
            ]
        )

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=3650)

    def certificate(
        subject: x509.Name,
        issuer: x509.Name,
        key: ec.EllipticCurvePrivateKey,
        signer: ec.EllipticCurvePrivateKey,
        extensions: list[tuple[x509.ExtensionType, bool]],
    ) -> x509.Certificate:
        """A certificate for ``key`` valid from ``start`` to ``end``, with (extension, critical) pairs."""
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(
        name("Pantau Demo Root CA"),
        name("Pantau Demo Root CA"),
        ca_key,
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(
        name("Pantau Demo AI Generator"),
        ca.subject,
        key,
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    pem = serialization.Encoding.PEM
    KEYS.mkdir(parents=True, exist_ok=True)
    ROOT_FILE.write_bytes(ca.public_bytes(pem))
    CHAIN_FILE.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    banner = b"# DEMO KEY - NOT A SECRET: committed for Pantau's demo media; trust nothing it signs.\n"
    KEY_FILE.write_bytes(
        banner + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return CHAIN_FILE.read_bytes(), KEY_FILE.read_bytes()


def _jpeg(rgb: np.ndarray, quality: int = 88, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, **kwargs)
    return buf.getvalue()


def sign_c2pa(jpeg: bytes, title: str, source_type: str = "trainedAlgorithmicMedia") -> bytes:
    """Return ``jpeg`` with an embedded C2PA manifest signed by the demo key."""
    import c2pa

    chain, key = ensure_demo_keys()
    key = b"".join(line for line in key.splitlines(keepends=True) if not line.startswith(b"#"))
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key, None))
    manifest = {
        "claim_generator_info": [{"name": "pantau-demo-generator", "version": "1.0"}],
        "title": title,
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "softwareAgent": {"name": "Pantau demo text-to-image"},
                            "digitalSourceType": IPTC + source_type,
                        }
                    ]
                },
            }
        ],
    }
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(jpeg), out)
    return out.getvalue()


def tamper(jpeg: bytes) -> bytes:
    """Change a run of bytes inside the JPEG scan data (after the manifest), keeping the file decodable."""
    data = bytearray(jpeg)
    sos = data.rfind(b"\xff\xda")
    start = sos + (len(data) - sos) // 2
    for i in range(start, start + 64):
        if data[i] != 0xFF and data[i - 1] != 0xFF and data[i] ^ 0x11 != 0xFF:
            data[i] ^= 0x11
    return bytes(data)


def xmp_declaring(source_type: str) -> bytes:
    """Return an XMP packet with an IPTC DigitalSourceType declaration."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{IPTC}{source_type}"/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


def banner(rgb: np.ndarray, lines: tuple[str, ...]) -> np.ndarray:
    """Draw a visible disclosure banner at the bottom of an image."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    h = img.height
    d.rectangle((0, h - 70, img.width, h), fill=(0, 0, 0))
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 24)
    except OSError:
        font = ImageFont.load_default()
    for i, line in enumerate(lines):
        d.text((14, h - 64 + 30 * i), line, fill=(255, 255, 255), font=font)
    return np.asarray(img)


def main() -> int:
    """Write every demo file and print their names and sizes."""
    from detectors.synthetic.watermark import KNOWN_PAYLOADS, embed_dwtdct

    OUT.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    portrait = drawn_portrait()
    signed = sign_c2pa(_jpeg(portrait), "ai_c2pa_signed.jpg")
    files["ai_c2pa_signed.jpg"] = signed
    files["ai_c2pa_tampered.jpg"] = tamper(signed)

    info = PngInfo()
    info.add_text(
        "parameters",
        "portrait of a smiling politician at a rally, photorealistic\n"
        "Negative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, "
        "Size: 512x512, Model: v1-5-pruned-emaonly",
    )
    buf = io.BytesIO()
    Image.fromarray(drawn_portrait(256, seed=5)).save(buf, "PNG", pnginfo=info)
    files["sd_parameters.png"] = buf.getvalue()

    buf = io.BytesIO()
    # Darkened: where the embedding pushes U or a colour channel past 255, clipped pixels lose their
    # bits (as on real SD outputs with bright skies: why decoding needs a bit-accuracy threshold).
    base = (photo_like((256, 256), seed=11) * 0.65).astype(np.uint8)
    Image.fromarray(embed_dwtdct(base, KNOWN_PAYLOADS["StableDiffusionV1"])).save(buf, "PNG")
    files["sd_watermarked.png"] = buf.getvalue()

    disclosed = banner(drawn_portrait(384, seed=9), ("AI-GENERATED", "Dibuat dengan AI"))
    files["ai_disclosed.jpg"] = _jpeg(disclosed, xmp=xmp_declaring("trainedAlgorithmicMedia"))

    files["photo_plain.jpg"] = _jpeg(photo_like(), quality=90)

    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name}\t{len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
