"""What a stranger can learn from a published file: only what its pages or its picture show.

A reporter's PDF or photo carries far more than its pages: the author's name, the producer, XMP,
the GPS position and camera serial of the photos inside it, actions that call a web address or a
Windows share as soon as it is opened. The public copy must carry none of it, the sealed original
all of it, and the moderator is told what was taken out. Decoding stays within a memory budget
judged on the header, and a withdrawn report's files stop being served at once, even to a browser
or proxy that kept a copy.
"""

import io

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from PIL import Image, ImageChops, ImageFile, ImageStat
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, StreamObject

from impacts import workflow
from impacts.evidence import EvidenceRejected, pdf, pdf_pages, prepare_evidence
from impacts.models import Evidence, EvidenceWriter, Status
from tests import evidence_files as files
from tests.reports import make_report

# --- Helpers -------------------------------------------------------------------------------------


def prepared_pdf(content: bytes, name: str = "letter.pdf"):
    return prepare_evidence(files.uploaded(content, name, "application/pdf"))


def refusal(content: bytes, name: str) -> EvidenceRejected:
    with pytest.raises(EvidenceRejected) as caught:
        prepare_evidence(files.uploaded(content, name))
    return caught.value


def encodings(text: str) -> list[bytes]:
    """The ways a PDF or an image may store a text: Latin-1/UTF-8, UTF-16 (PDF text strings,
    XMP in some writers, EXIF XP tags) and with PDF string escapes (\\\\ for a backslash)."""
    variants = {text.encode(), text.encode("utf-16-be"), text.encode("utf-16-le")}
    variants.add(text.replace("\\", "\\\\").encode())
    return sorted(variants)


def assert_no_secret_in(data: bytes, *secrets: str) -> None:
    for secret in secrets:
        for encoded in encodings(secret):
            assert encoded not in data, f"{secret!r} is still in the public copy"


def page_picture(content: bytes, index: int = 0, size: tuple[int, int] = (300, 420)) -> Image.Image:
    document = pdfium.PdfDocument(content)
    try:
        page = document[index]
        width, _height = page.get_size()
        image = page.render(scale=size[0] / width).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    return image.resize(size)


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(first, second)).mean[0]


def public_pdf_objects(content: bytes) -> list:
    reader = PdfReader(io.BytesIO(content))
    return [item for item in pdf._objects(reader) if isinstance(item, DictionaryObject)]


def store(report, prepared) -> Evidence:
    with EvidenceWriter() as writer:
        return writer.store(report, prepared)


# --- A PDF that says more than its pages ---------------------------------------------------------

SHARED_SECRETS = (*files.SECRETS, files.SUBMIT_URL, files.INVISIBLE_TEXT, files.COMMENT.decode())


@pytest.mark.parametrize("open_action", ["uri", "share"])
def test_public_copy_of_a_hostile_pdf_keeps_nothing_but_its_pages(open_action):
    original = files.hostile_pdf(open_action=open_action)
    assert files.AUTHOR.encode() in original and files.CAMERA_SERIAL.encode() in original  # honest fixture

    public = prepared_pdf(original).public_bytes

    assert_no_secret_in(public, *SHARED_SECRETS, files.SHARE_PATH, "files.collector.example")
    for marker in (
        b"Exif",
        b"http://ns.adobe.com",
        b"/Author",
        b"/Producer",
        b"/OpenAction",
        b"/AA",
        b"/URI",
        b"/GoToR",
        b"/SubmitForm",
        b"/Annots",
        b"/Metadata",
        b"/Info",
        b"/Font",
    ):
        assert marker not in public
    reader = PdfReader(io.BytesIO(public))
    assert not reader.metadata
    assert "".join(page.extract_text() for page in reader.pages).strip() == ""  # no text layer, hidden or not
    assert pdf.removed_from_pdf(reader) == []  # our own inspector finds nothing to remove in it


def test_every_picture_inside_the_public_pdf_is_a_fresh_jpeg_without_metadata():
    public = prepared_pdf(files.hostile_pdf()).public_bytes

    images = [
        item
        for item in public_pdf_objects(public)
        if isinstance(item, StreamObject) and item.get("/Subtype") == "/Image"
    ]
    assert len(images) == 1  # one picture per page, nothing else
    with Image.open(io.BytesIO(images[0].get_data())) as picture:
        assert picture.format == "JPEG"
        assert len(picture.getexif()) == 0
        assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(picture.info)


def test_public_pdf_has_the_same_pages_and_looks_the_same():
    original = files.hostile_pdf(pages=3)

    public = prepared_pdf(original).public_bytes

    assert len(PdfReader(io.BytesIO(public)).pages) == 3
    for index in range(3):
        before, after = page_picture(original, index), page_picture(public, index)
        assert mean_difference(before, after) < 4  # JPEG noise, out of 255
        assert after.getextrema()[0] < 60  # the dark title text is there


def test_rotated_and_landscape_pages_keep_their_shape():
    rotated = files.handmade_pdf(content=b"0 0 1 rg 0 0 100 200 re f").replace(
        b"/MediaBox [0 0 200 200]", b"/MediaBox [0 0 200 400] /Rotate 90"
    )

    public = prepared_pdf(rotated).public_bytes

    box = PdfReader(io.BytesIO(public)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (400, 200)
    assert mean_difference(page_picture(rotated, size=(400, 200)), page_picture(public, size=(400, 200))) < 4


CARRIERS = [
    # (what the PDF carries, a secret it reveals, the label the moderator sees)
    ({"info": True}, files.AUTHOR, "author"),
    ({"info": True}, "Letter to the akimat", "document title"),
    ({"info": True}, files.PRODUCER, "producer"),
    ({"info": True}, files.GPS_TEXT, "subject and keywords"),
    ({"xmp": True}, files.AUTHOR, "XMP metadata"),
    ({"photo": True}, files.CAMERA_SERIAL, "camera serial"),
    ({"photo": True}, files.CAMERA_MAKE, "embedded GPS"),
    ({"open_action": "uri"}, files.EXFIL_URI, "auto-action on open"),
    ({"open_action": "share"}, files.SHARE_PATH, "link to a network share"),
    ({"page_action": True}, files.SUBMIT_URL, "form submission action"),
    ({"annotations": True}, files.AUTHOR, "author"),
    ({"annotations": True}, files.EXFIL_URI, "web links"),
    ({"invisible_text": True}, files.INVISIBLE_TEXT, None),
]
NOTHING = {
    "info": False,
    "xmp": False,
    "photo": False,
    "open_action": None,
    "page_action": False,
    "annotations": False,
    "invisible_text": False,
}


@pytest.mark.parametrize(("carrier", "secret", "label"), CARRIERS)
def test_each_metadata_carrier_alone_is_removed_and_reported(carrier, secret, label):
    original = files.hostile_pdf(**{**NOTHING, **carrier})
    assert any(encoded in original for encoded in encodings(secret))

    prepared = prepared_pdf(original)

    assert_no_secret_in(prepared.public_bytes, secret)
    if label:
        assert label in prepared.removed_metadata


def test_a_plain_pdf_reports_nothing_removed():
    assert prepared_pdf(files.hostile_pdf(**NOTHING)).removed_metadata == []


@pytest.mark.django_db
def test_sealed_original_keeps_everything_and_the_moderator_sees_what_was_removed():
    original = files.hostile_pdf(open_action="share")
    report = make_report(status=Status.IN_REVIEW)

    item = store(report, prepared_pdf(original))

    item.refresh_from_db()
    with item.sealed_file.open("rb") as sealed:
        assert sealed.read() == original
    with item.public_file.open("rb") as public:
        assert_no_secret_in(public.read(), files.AUTHOR, files.SHARE_PATH, files.CAMERA_SERIAL)
    for label in (
        "author",
        "document title",
        "producer",
        "XMP metadata",
        "embedded GPS",
        "camera serial",
        "auto-action on open",
        "link to a network share",
        "form submission action",
    ):
        assert label in item.removed_metadata


# --- PDF limits: pages, page size, time, memory ----------------------------------------------------


def test_pages_are_drawn_at_the_set_resolution(settings):
    settings.KZCN_PDF_RENDER_DPI = 100

    public = prepared_pdf(files.pdf_bytes()).public_bytes  # A4: 595 x 842 points

    (image,) = [item for item in public_pdf_objects(public) if item.get("/Subtype") == "/Image"]
    assert (image["/Width"], image["/Height"]) == (827, 1170)


@pytest.mark.parametrize(("width", "height"), [(14_400, 14_400), (14_400, 20), (20, 14_400)])
def test_huge_pages_are_drawn_within_the_pixel_budget(settings, width, height):
    settings.KZCN_MAX_PDF_PAGE_PIXELS = 1_000_000

    public = prepared_pdf(files.pdf_with_page_size(width, height)).public_bytes

    (image,) = [item for item in public_pdf_objects(public) if item.get("/Subtype") == "/Image"]
    assert image["/Width"] * image["/Height"] <= 1_000_000
    box = PdfReader(io.BytesIO(public)).pages[0].mediabox
    assert abs(float(box.width) - width) < 1 and abs(float(box.height) - height) < 1


@pytest.fixture
def renderer_calls(monkeypatch):
    """Records every start of the page-rendering child process."""
    calls = []
    real_run = pdf.subprocess.run

    def run(*args, **kwargs):
        calls.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(pdf.subprocess, "run", run)
    return calls


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: files.pdf_with_page_size(1e6, 1e6), "pdf_page_size"),
        (lambda: files.pdf_with_page_size(0, 0), "pdf_page_size"),
        (lambda: files.pdf_with_page_size(14_401, 100), "pdf_page_size"),
        (lambda: files.pdf_with_image_bomb(20_000), "pdf_picture_too_large"),  # over the pixel cap
        (lambda: files.pdf_with_image_bomb(5_000), "pdf_picture_too_large"),  # over the memory budget
    ],
)
def test_absurd_pages_and_image_bombs_are_refused_before_anything_is_drawn(renderer_calls, make, code):
    rejected = refusal(make(), "bomb.pdf")

    assert rejected.code == code and "“bomb.pdf”" in rejected.message
    assert renderer_calls == []


def test_too_many_pages_are_refused_before_anything_is_drawn(settings, renderer_calls):
    settings.KZCN_MAX_PDF_PAGES = 5

    rejected = refusal(files.hostile_pdf(pages=6, **{**NOTHING, "info": True}), "book.pdf")

    assert rejected.code == "pdf_too_many_pages" and "6 pages" in rejected.message
    assert renderer_calls == []


def test_an_image_hidden_in_the_page_text_is_stopped_by_the_renderers_memory_limit(settings):
    """An inline image is no PDF object, so no header check sees it; the child process hits its
    address-space limit and the file is refused, while the web worker is untouched."""
    settings.KZCN_MAX_DECODE_BYTES = 16 * 1024 * 1024

    rejected = refusal(files.pdf_with_inline_image_bomb(12_000), "scan.pdf")

    assert rejected.code == "pdf_too_costly"
    assert "too long or too much memory" in rejected.message


def test_rendering_stops_when_the_time_is_up(settings):
    settings.KZCN_PDF_RENDER_SECONDS = 0

    assert refusal(files.pdf_bytes(pages=2), "slow.pdf").code == "pdf_too_costly"


def test_the_renderer_refuses_pages_of_impossible_size_by_itself():
    """The child checks again what the parent checked: two parsers may read a file differently."""
    with pytest.raises(pdf_pages.Refused) as caught:
        pdf_pages.page_scale(0.5, 100, dpi=150, max_pixels=4_000_000)
    assert caught.value.exit_code == pdf_pages.EXIT_PAGE_SIZE
    assert pdf_pages.page_scale(14_400, 14_400, dpi=150, max_pixels=4_000_000) * 14_400 <= 2000


# --- Photos: every container, every carrier ------------------------------------------------------

PHOTO_CARRIERS = [
    pytest.param(files.jpeg_with_every_carrier, {"comments", "colour profile", "IPTC captions and credits"}, id="jpeg"),
    pytest.param(files.png_with_every_carrier, {"comments", "colour profile"}, id="png"),
    pytest.param(files.webp_with_every_carrier, {"colour profile"}, id="webp"),
    pytest.param(files.heic_with_every_carrier, set(), id="heic"),
]
EVERY_PHOTO_LABEL = {
    "author",
    "embedded GPS",
    "camera serial",
    "camera make and model",
    "capture time",
    "XMP metadata",
    "software",
}


@pytest.mark.parametrize(("make", "labels"), PHOTO_CARRIERS)
def test_public_photo_keeps_no_carrier_and_the_moderator_is_told_what_went(make, labels):
    original = make()
    assert files.CAMERA_SERIAL.encode() in original and files.AUTHOR.encode() in original

    prepared = prepare_evidence(files.uploaded(original, "photo"))

    for copy in (prepared.public_bytes, prepared.thumbnail_bytes):
        assert_no_secret_in(copy, *files.SECRETS, files.COMMENT.decode(), "Aksu")
        for marker in (b"Exif", b"http://ns.adobe.com", b"8BIM", b"Photoshop", b"tIME", b"iTXt"):
            assert marker not in copy
        with Image.open(io.BytesIO(copy)) as picture:
            assert len(picture.getexif()) == 0
            assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(picture.info)
    assert set(prepared.removed_metadata) >= EVERY_PHOTO_LABEL | labels


@pytest.mark.django_db
def test_sealed_photo_keeps_its_metadata_and_the_row_records_what_was_removed():
    original = files.jpeg_with_every_carrier()

    item = store(make_report(), prepare_evidence(files.uploaded(original, "IMG_0042.JPG")))

    item.refresh_from_db()
    with item.sealed_file.open("rb") as sealed:
        assert sealed.read() == original
    assert item.removed_metadata[:3] == ["author", "embedded GPS", "camera serial"]  # who and where first


def test_a_photo_without_metadata_reports_nothing_removed():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, format="PNG")

    assert prepare_evidence(files.uploaded(buffer.getvalue(), "plain.png")).removed_metadata == []


# --- Decoding within a memory budget --------------------------------------------------------------


@pytest.fixture
def decodes(monkeypatch):
    """Records every picture whose pixels are read: ImageFile.load, and the formats whose plugins
    decode in a load() of their own (WebP through libwebp, HEIC through libheif)."""
    from PIL.WebPImagePlugin import WebPImageFile
    from pillow_heif.as_plugin import HeifImageFile

    calls = []

    def recording(real_load):
        def load(image):
            if not getattr(image, "_decode_recorded", False):  # WebP's load calls ImageFile's
                image._decode_recorded = True
                calls.append(image.size)
            return real_load(image)

        return load

    for plugin in (ImageFile.ImageFile, WebPImageFile, HeifImageFile):
        monkeypatch.setattr(plugin, "load", recording(plugin.load))
    return calls


def png_header_declaring_rgb(width: int, height: int) -> bytes:
    """A PNG whose header says width x height, 8-bit RGB, followed by a token of pixel data: the
    refusal must come from the header, so the rest never matters."""
    import struct

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + files._png_chunk(b"IHDR", header)
        + files._png_chunk(b"IDAT", b"x\x9c\x03\x00\x00\x00\x00\x01")
        + files._png_chunk(b"IEND", b"")
    )


def test_the_cheap_png_bomb_of_the_attack_is_refused_from_its_header(decodes):
    """6300 x 6300 RGB in 0.15 MB: about 240 MB to decode and prepare, over the 128 MB budget."""
    rejected = refusal(png_header_declaring_rgb(6300, 6300), "bomb.png")

    assert rejected.code == "too_costly"
    assert "“bomb.png”" in rejected.message and "JPEG" in rejected.message
    assert decodes == []


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: files.jpeg_with_gps(640, 480), id="jpeg"),
        pytest.param(lambda: files.png_bytes(640, 480), id="png"),
        pytest.param(files.rgba_png, id="png-rgba"),
        pytest.param(files.png_16bit, id="png-16-bit"),
        pytest.param(files.palette_png_with_transparency, id="png-palette"),
        pytest.param(lambda: files.webp_bytes(640, 480), id="webp"),
        pytest.param(lambda: files.heic_bytes(640, 480), id="heic"),
    ],
)
def test_every_photo_format_is_measured_against_the_budget_before_decoding(settings, decodes, make):
    content = make()
    settings.KZCN_MAX_DECODE_BYTES = 10_000  # less than any of these pictures needs

    assert refusal(content, "photo").code == "too_costly"
    assert decodes == []


def test_the_same_photos_pass_with_the_default_budget(decodes):
    for make in (files.png_bytes, files.webp_bytes, files.heic_bytes, files.rgba_png):
        assert prepare_evidence(files.uploaded(make(), "photo")).kind == "photo"
    assert len(decodes) == 4


def test_webp_and_heic_are_charged_for_their_decoders_own_buffers():
    from impacts.evidence.limits import decode_bytes

    png = decode_bytes((4000, 3000), "RGB", "PNG")
    assert decode_bytes((4000, 3000), "RGB", "WEBP") > 2 * png
    assert decode_bytes((4000, 3000), "RGB", "HEIF") > png
    assert decode_bytes((4000, 3000), "RGBA", "PNG") > png


def test_a_large_jpeg_is_budgeted_at_the_reduced_scale_it_is_decoded_at(settings, decodes):
    """A 12 MP JPEG needs 72 MB decoded whole, but libjpeg decodes it at half scale (3 MP) for a
    1600-pixel public copy: that, not the full size, is what the budget is checked against."""
    settings.KZCN_MAX_DECODE_BYTES = 20 * 1024 * 1024

    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(4000, 3000), "big.jpg"))

    assert decodes == [(2000, 1500)]
    assert (prepared.width, prepared.height) == (4000, 3000)
    assert Image.open(io.BytesIO(prepared.public_bytes)).size == (1600, 1200)


def test_a_webp_declaring_more_than_it_holds_is_refused_from_its_header(decodes):
    assert refusal(files.webp_declaring(6000, 6000), "bomb.webp").code == "too_costly"
    assert refusal(files.webp_declaring(16_383, 16_383), "bomb.webp").code == "too_many_pixels"
    assert decodes == []


# --- Withdrawal reaches every cache at once --------------------------------------------------------


@pytest.fixture
def published_photo(senior_moderator):
    report = make_report(status=Status.IN_REVIEW)
    item = store(report, prepare_evidence(files.uploaded(files.jpeg_with_gps(), "IMG_0042.JPG")))
    Evidence.objects.filter(pk=item.pk).update(visibility="approved")
    workflow.apply(report, "publish", by=senior_moderator)
    return item


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["public", "thumb"])
def test_a_withdrawn_reports_photo_is_gone_even_for_a_browser_that_kept_it(
    client, senior_moderator, published_photo, variant
):
    url = reverse("impacts:evidence_file", args=[published_photo.pk, variant])

    first = client.get(url)
    assert first.status_code == 200
    cache_control = first["Cache-Control"]
    assert "private" in cache_control and "no-cache" in cache_control
    assert "public" not in cache_control and "max-age" not in cache_control and "s-maxage" not in cache_control
    etag = first["ETag"]

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again["Cache-Control"] == cache_control

    workflow.apply(published_photo.report, "withdraw", by=senior_moderator, message="legal request")
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 404
    # ConditionalGetMiddleware may tag the 404 page itself; never with the photo's validator.
    assert after.get("ETag") != etag


@pytest.mark.django_db
def test_a_photo_hidden_after_publication_is_gone_at_once(client, published_photo):
    url = reverse("impacts:evidence_file", args=[published_photo.pk, "public"])
    etag = client.get(url)["ETag"]

    Evidence.objects.filter(pk=published_photo.pk).update(visibility="hidden", hidden_reason="a face")

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


@pytest.mark.django_db
def test_each_public_file_has_its_own_etag(client, published_photo):
    public = client.get(reverse("impacts:evidence_file", args=[published_photo.pk, "public"]))
    thumb = client.get(reverse("impacts:evidence_file", args=[published_photo.pk, "thumb"]))

    assert public["ETag"] != thumb["ETag"]
    assert published_photo.public_file.name not in public["ETag"]  # no storage path leaks


@pytest.mark.django_db
def test_moderators_preview_and_sealed_downloads_are_never_stored(client, senior_moderator, published_photo):
    client.force_login(senior_moderator)
    sealed = client.get(reverse("admin:impacts_evidence_sealed", args=[published_photo.pk]))
    assert sealed.status_code == 200 and sealed["Cache-Control"].startswith("no-store, private")
    assert not sealed.has_header("ETag")

    unpublished = store(
        make_report(status=Status.IN_REVIEW), prepare_evidence(files.uploaded(files.png_bytes(), "p.png"))
    )
    preview = client.get(reverse("impacts:evidence_file", args=[unpublished.pk, "public"]))
    assert preview.status_code == 200 and preview["Cache-Control"] == "no-store, private"


# --- PDFs published before this change ------------------------------------------------------------


def pdf_published_as_sent(report, content: bytes) -> Evidence:
    """Evidence as the old pipeline stored a PDF: the public copy is the original itself."""
    import hashlib

    from django.core.files.base import ContentFile

    item = Evidence(
        report=report,
        kind="document",
        original_name="letter.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        visibility="approved",
    )
    item.sealed_file.save("original.pdf", ContentFile(content), save=False)
    item.public_file.save("public.pdf", ContentFile(content), save=False)
    item.save()
    return item


@pytest.mark.django_db
def test_pdfs_published_byte_for_byte_before_are_rebuilt_once(settings):
    from django.core.management import call_command

    report = make_report(status=Status.PUBLISHED)
    leaking = pdf_published_as_sent(report, files.hostile_pdf(open_action="share"))
    settings.KZCN_MAX_PDF_PAGES = 2
    too_long = pdf_published_as_sent(report, files.hostile_pdf(**{**NOTHING, "info": True}, pages=3))
    old_public = leaking.public_file.name

    out = io.StringIO()
    call_command("rebuild_pdf_public_copies", stdout=out, stderr=io.StringIO())

    assert "2 PDF(s) rebuilt." in out.getvalue()
    leaking.refresh_from_db()
    with leaking.public_file.open("rb") as public:
        assert_no_secret_in(public.read(), files.AUTHOR, files.SHARE_PATH, files.CAMERA_SERIAL)
    assert "link to a network share" in leaking.removed_metadata
    assert not leaking.public_file.storage.exists(old_public)
    with leaking.sealed_file.open("rb") as sealed:
        assert files.AUTHOR.encode() in sealed.read()
    too_long.refresh_from_db()
    assert too_long.visibility == "hidden" and "3 pages" in too_long.hidden_reason and not too_long.public_file

    out = io.StringIO()
    call_command("rebuild_pdf_public_copies", stdout=out)
    assert "0 PDF(s) rebuilt." in out.getvalue()


# --- Bombs inside a picture's container -----------------------------------------------------------


def test_pixel_data_beyond_the_last_row_is_never_inflated():
    prepared = prepare_evidence(files.uploaded(files.png_with_idat_beyond_its_pixels(), "tiny.png"))

    assert (prepared.width, prepared.height) == (100, 100)


@pytest.mark.parametrize(
    ("kind", "inflated", "chunks"),
    [(b"zTXt", 100_000_000, 1), (b"iTXt", 100_000_000, 1), (b"zTXt", 900_000, 3)],
    ids=["one-ztxt-bomb", "one-itxt-bomb", "many-text-chunks"],
)
def test_compressed_text_chunks_are_not_inflated_past_a_megabyte(kind, inflated, chunks):
    from PIL import PngImagePlugin

    assert PngImagePlugin.MAX_TEXT_MEMORY <= 1024 * 1024  # lowered from Pillow's 64 MB

    rejected = refusal(files.png_with_text_bomb(kind, inflated, chunks), "bomb.png")

    assert rejected.code == "unreadable"
