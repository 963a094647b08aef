"""The evidence pipeline, told as what happens to the files a citizen (or an attacker) sends."""

import hashlib
import io
from decimal import Decimal

import pytest
from PIL import ExifTags, Image
from pypdf import PdfReader

from impacts import evidence
from impacts.evidence import EvidenceRejected, check_limits, prepare_evidence, sanitise_filename
from tests import evidence_files as files

# --- Helpers -------------------------------------------------------------------------------------


def reopen(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image


def assert_no_metadata(jpeg: bytes) -> None:
    """What a stranger downloading the public copy could learn about the reporter: nothing."""
    image = reopen(jpeg)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert ExifTags.IFD.GPSInfo not in image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(image.info)
    for secret in (b"Exif", files.CAMERA_SERIAL.encode(), files.CAMERA_MAKE.encode(), files.COMMENT):
        assert secret not in jpeg
    assert files.XMP_MARKER.encode() not in jpeg
    assert b"http://ns.adobe.com/xap" not in jpeg


def refusal(content: bytes, name: str = "evidence.jpg", content_type: str = "image/jpeg") -> EvidenceRejected:
    with pytest.raises(EvidenceRejected) as caught:
        prepare_evidence(files.uploaded(content, name, content_type))
    return caught.value


# --- A phone photo with GPS ----------------------------------------------------------------------


def test_public_copy_of_phone_photo_carries_no_metadata_at_all():
    original = files.jpeg_with_gps()
    assert b"Exif" in original and files.CAMERA_SERIAL.encode() in original  # the fixture is honest

    prepared = prepare_evidence(files.uploaded(original, "IMG_0042.JPG"))

    assert prepared.kind == "photo"
    assert prepared.public_extension == "jpg"
    assert_no_metadata(prepared.public_bytes)
    assert_no_metadata(prepared.thumbnail_bytes)


def test_moderators_get_gps_and_capture_time_from_the_original():
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(lat=43.3, lon=68.25), "IMG_0042.JPG"))

    assert prepared.gps_latitude == Decimal("43.300000")
    assert prepared.gps_longitude == Decimal("68.250000")
    assert prepared.captured_at == files.CAPTURED_AT


def test_southern_and_western_positions_are_negative():
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(lat=-33.8688, lon=-70.6693)))

    assert prepared.gps_latitude == Decimal("-33.868800")
    assert prepared.gps_longitude == Decimal("-70.669300")


def test_prepared_evidence_describes_the_original_for_sealing():
    original = files.jpeg_with_gps()
    upload = files.uploaded(original, "../../IMG_0042.JPG", "application/octet-stream")

    prepared = prepare_evidence(upload)

    assert prepared.original_name == "IMG_0042.JPG"
    assert prepared.content_type == "image/jpeg"
    assert prepared.original_extension == "jpg"
    assert prepared.size == len(original)
    assert prepared.sha256 == hashlib.sha256(original).hexdigest()
    assert (prepared.width, prepared.height) == (800, 600)
    assert prepared.original is upload
    assert upload.tell() == 0
    assert upload.read() == original
    fields = prepared.evidence_fields()
    assert fields["sha256"] == prepared.sha256 and fields["gps_latitude"] == prepared.gps_latitude


def test_large_photo_is_downscaled_for_the_public(settings):
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(width=4000, height=3000)))

    assert reopen(prepared.public_bytes).size == (1600, 1200)
    assert max(reopen(prepared.thumbnail_bytes).size) == settings.KZCN_THUMBNAIL_SIDE
    assert (prepared.width, prepared.height) == (4000, 3000)


def test_public_size_follows_the_settings(settings):
    settings.KZCN_PUBLIC_IMAGE_MAX_SIDE = 500
    settings.KZCN_THUMBNAIL_SIDE = 100

    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(width=800, height=600)))

    assert reopen(prepared.public_bytes).size == (500, 375)
    assert reopen(prepared.thumbnail_bytes).size == (100, 75)


def test_small_photo_is_not_enlarged():
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(width=300, height=200)))

    assert reopen(prepared.public_bytes).size == (300, 200)


def is_red(pixel) -> bool:
    red, green, blue = pixel
    return red > 180 and green < 80 and blue < 80


def test_photo_held_upright_comes_out_upright():
    # Stored landscape with the red block top-left; orientation 6 means "turn 90° clockwise to view".
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_gps(800, 600, orientation=6)))

    public = reopen(prepared.public_bytes)
    assert public.size == (600, 800)
    assert (prepared.width, prepared.height) == (600, 800)
    assert is_red(public.getpixel((public.width - 10, 10)))  # top-left turned to top-right
    assert not is_red(public.getpixel((10, 10)))
    assert_no_metadata(prepared.public_bytes)


def test_big_upright_photo_spooled_to_disk_is_reduced_and_rotated():
    original = files.jpeg_with_gps(4000, 3000, orientation=8)
    upload = files.uploaded_on_disk(original, "IMG_9999.JPG")
    try:
        prepared = prepare_evidence(upload)

        public = reopen(prepared.public_bytes)
        assert public.size == (1200, 1600)
        assert is_red(public.getpixel((10, public.height - 10)))  # orientation 8: top-left to bottom-left
        assert prepared.sha256 == hashlib.sha256(original).hexdigest()
        assert prepared.original is upload and upload.tell() == 0
        assert prepared.gps_latitude == Decimal("43.300000")
    finally:
        upload.close()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_does_not_refuse_a_good_photo():
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_broken_exif()))

    assert prepared.kind == "photo"
    assert prepared.gps_latitude is None and prepared.captured_at == ""
    assert_no_metadata(prepared.public_bytes)


def test_impossible_gps_values_are_dropped_not_refused():
    prepared = prepare_evidence(files.uploaded(files.jpeg_with_impossible_gps()))

    assert prepared.gps_latitude is None and prepared.gps_longitude is None
    assert prepared.captured_at == files.CAPTURED_AT


# --- Other photo formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "content_type"),
    [
        (files.png_bytes, "image/png"),
        (files.webp_bytes, "image/webp"),
        (files.cmyk_jpeg, "image/jpeg"),
        (files.png_16bit, "image/png"),
        (files.rgba_png, "image/png"),
        (files.palette_png_with_transparency, "image/png"),
    ],
)
def test_other_photo_formats_are_accepted_and_published_as_plain_jpeg(make, content_type):
    prepared = prepare_evidence(files.uploaded(make(), "photo.bin", "text/plain"))

    assert prepared.kind == "photo"
    assert prepared.content_type == content_type
    public = reopen(prepared.public_bytes)
    assert public.mode == "RGB"
    assert_no_metadata(prepared.public_bytes)


def test_png_and_webp_exif_gps_reaches_moderators():
    for content in (files.png_bytes(), files.webp_bytes()):
        prepared = prepare_evidence(files.uploaded(content, "photo.png"))
        assert prepared.gps_latitude == Decimal("43.300000")
        assert prepared.captured_at == files.CAPTURED_AT


def test_16_bit_greyscale_keeps_its_tones():
    public = reopen(prepare_evidence(files.uploaded(files.png_16bit(), "scan.png")).public_bytes)

    left, middle, right = (public.getpixel((x, 30))[0] for x in (2, public.width // 2, public.width - 3))
    assert left < 20 and 100 < middle < 160 and right > 235  # a ramp, not clipped to white


def test_transparent_parts_become_white():
    public = reopen(prepare_evidence(files.uploaded(files.rgba_png(), "sticker.png")).public_bytes)

    assert is_red(public.getpixel((20, 50)))
    assert min(public.getpixel((180, 50))) > 240


def test_cmyk_photo_is_converted_to_rgb():
    public = reopen(prepare_evidence(files.uploaded(files.cmyk_jpeg(), "print.jpg")).public_bytes)

    assert public.mode == "RGB"
    assert is_red(public.getpixel((10, 10)))


def test_iphone_heic_photo_is_accepted_and_stripped():
    pytest.importorskip("pillow_heif")
    prepared = prepare_evidence(files.uploaded(files.heic_bytes(orientation=6), "IMG_0001.HEIC"))

    assert prepared.content_type == "image/heic"
    assert prepared.original_extension == "heic"
    assert prepared.gps_latitude == Decimal("43.300000")
    assert prepared.captured_at == files.CAPTURED_AT
    assert reopen(prepared.public_bytes).size == (480, 640)
    assert_no_metadata(prepared.public_bytes)


def test_heic_lookalike_that_does_not_decode_is_refused():
    pytest.importorskip("pillow_heif")

    rejected = refusal(files.heic_lookalike(), "IMG_0001.HEIC")

    assert rejected.code == "unreadable"


def test_heic_is_refused_when_pillow_heif_is_missing(monkeypatch):
    monkeypatch.setitem(evidence._heif_state, "supported", False)

    rejected = refusal(files.heic_lookalike(), "IMG_0001.HEIC")

    assert rejected.code == "unsupported_type"
    assert "Allowed: JPEG, PNG, WebP photos" in rejected.message


# --- Files that only pretend to be photos --------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [files.html_as_jpg, files.script_bytes, files.svg_bytes, files.text_file, files.gif_bytes],
)
def test_anything_that_is_not_an_accepted_type_is_refused_naming_the_file_and_the_types(make):
    rejected = refusal(make(), "report.jpg", "image/jpeg")

    assert rejected.code == "unsupported_type"
    assert "“report.jpg”" in rejected.message
    assert "JPEG, PNG, WebP" in rejected.message and "PDF" in rejected.message


def test_png_header_followed_by_html_is_refused():
    rejected = refusal(files.png_header_then_html(), "chart.png", "image/png")

    assert rejected.code == "unreadable"
    assert "“chart.png”" in rejected.message


@pytest.mark.parametrize(("width", "height"), [(800, 600), (4000, 3000)])  # the second is decoded at 1/2
def test_truncated_photo_is_refused(width, height):
    rejected = refusal(files.truncated_jpeg(width, height), "IMG_0042.JPG")

    assert rejected.code == "unreadable"
    assert "damaged or incomplete" in rejected.message


def test_zero_byte_file_is_refused():
    rejected = refusal(files.zero_bytes(), "empty.jpg")

    assert rejected.code == "empty"
    assert "“empty.jpg”" in rejected.message


def test_file_over_the_size_limit_is_refused_before_decoding(settings):
    settings.KZCN_MAX_FILE_BYTES = 10_000

    rejected = refusal(files.huge_file(10_001), "video.jpg")

    assert rejected.code == "too_large"
    assert "“video.jpg”" in rejected.message and "9.8" in rejected.message  # 10 000 bytes = 9.8 KB


def test_size_limit_counts_the_bytes_not_the_declared_size(settings):
    settings.KZCN_MAX_FILE_BYTES = 10_000
    upload = files.uploaded(files.huge_file(50_000), "liar.jpg")
    upload.size = 100  # a handler that under-reports must not get past the limit

    with pytest.raises(EvidenceRejected) as caught:
        prepare_evidence(upload)

    assert caught.value.code == "too_large"


def test_photo_over_the_pixel_limit_is_refused(settings):
    settings.KZCN_MAX_IMAGE_PIXELS = 100_000

    rejected = refusal(files.jpeg_with_gps(800, 600), "panorama.jpg")

    assert rejected.code == "too_many_pixels"
    assert "“panorama.jpg”" in rejected.message and "megapixels" in rejected.message


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (10_000, 5_000),  # 50 MP: over our 40 MP cap, under Pillow's warning
        (10_000, 10_000),  # 100 MP: Pillow warns (made an error)
        (20_000, 20_000),  # 400 MP: Pillow refuses by itself
    ],
)
def test_decompression_bombs_are_refused_with_a_clear_message(width, height):
    bomb = files.png_declaring(width, height)
    assert len(bomb) < 100_000

    rejected = refusal(bomb, "bomb.png", "image/png")

    assert rejected.code == "too_many_pixels"
    assert "“bomb.png”" in rejected.message and "40 megapixels" in rejected.message


def test_bomb_is_refused_even_if_pillows_global_limit_is_switched_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)

    rejected = refusal(files.decompression_bomb_png(), "bomb.png")

    assert rejected.code == "too_many_pixels"


def test_a_photo_named_pdf_is_still_a_photo():
    prepared = prepare_evidence(files.uploaded(files.png_bytes(), "report.pdf", "application/pdf"))

    assert prepared.kind == "photo" and prepared.content_type == "image/png"


# --- PDF documents -------------------------------------------------------------------------------


def test_pdf_is_accepted_as_a_document_published_as_pictures_of_its_pages():
    original = files.pdf_bytes(pages=2)

    prepared = prepare_evidence(files.uploaded(original, "Water samples.pdf", "application/pdf"))

    assert prepared.kind == "document"
    assert prepared.content_type == "application/pdf"
    assert prepared.sha256 == hashlib.sha256(original).hexdigest()
    assert prepared.size == len(original)
    assert prepared.public_bytes != original  # rebuilt from its pages: see test_evidence_sanitising.py
    assert len(PdfReader(io.BytesIO(prepared.public_bytes)).pages) == 2
    assert prepared.public_extension == "pdf"
    assert prepared.thumbnail_bytes is None
    assert prepared.width is None and prepared.gps_latitude is None
    assert prepared.original.tell() == 0


def test_large_pdf_spooled_to_disk_is_read_from_disk():
    original = files.pdf_from_photos(pages=6)
    upload = files.uploaded_on_disk(original, "scan.pdf", "application/pdf")
    try:
        prepared = prepare_evidence(upload)

        assert prepared.kind == "document"
        assert prepared.sha256 == hashlib.sha256(original).hexdigest()
        assert len(PdfReader(io.BytesIO(prepared.public_bytes)).pages) == 6
        assert prepared.original is upload and upload.tell() == 0
    finally:
        upload.close()


@pytest.mark.parametrize(
    "make",
    [
        files.pdf_bytes,
        files.pdf_with_harmless_open_action,
        files.pdf_mentioning_javascript_in_page_text,
        files.handmade_pdf,
        files.pdf_from_photos,
    ],
)
def test_ordinary_pdfs_are_accepted(make):
    assert prepare_evidence(files.uploaded(make(), "doc.pdf")).kind == "document"


ACTIVE_PDFS = [
    files.pdf_with_javascript,
    files.pdf_with_open_action_javascript,
    files.pdf_with_obfuscated_javascript,
    files.pdf_with_javascript_in_object_stream,
    files.pdf_with_launch_action,
    files.pdf_with_attachment,
    files.pdf_with_xfa_form,
]


@pytest.mark.parametrize("make", ACTIVE_PDFS)
def test_pdf_with_scripts_or_embedded_files_is_refused(make):
    rejected = refusal(make(), "letter.pdf", "application/pdf")

    assert rejected.code == "pdf_active_content"
    assert "“letter.pdf”" in rejected.message
    assert "PDFs with scripts or embedded files are not accepted" in rejected.message


@pytest.mark.parametrize("make", ACTIVE_PDFS)
def test_parser_walk_finds_active_content_even_without_the_byte_scan(make):
    assert evidence._has_active_content(PdfReader(io.BytesIO(make()), strict=False))


@pytest.mark.parametrize("make", [files.pdf_bytes, files.pdf_mentioning_javascript_in_page_text])
def test_parser_walk_passes_plain_pdfs(make):
    assert not evidence._has_active_content(PdfReader(io.BytesIO(make()), strict=False))


@pytest.mark.parametrize("chunk_size", [5, 7, 13, 64 * 1024])
def test_byte_scan_finds_names_split_across_read_chunks(monkeypatch, chunk_size):
    monkeypatch.setattr(evidence.pipeline, "CHUNK_SIZE", chunk_size)
    for make in (files.pdf_with_obfuscated_javascript, files.pdf_with_launch_action):
        assert refusal(make(), "x.pdf").code == "pdf_active_content"
    for make in (files.pdf_bytes, files.pdf_mentioning_javascript_in_page_text):
        assert prepare_evidence(files.uploaded(make(), "x.pdf")).kind == "document"


def test_byte_scan_skips_stream_bodies_but_not_what_follows():
    scanner = evidence._PdfNameScanner()
    for chunk in (
        b"1 0 obj <</Length 9>>\nstr",
        b"eam\n/JS /Launchendstr",
        b"eam\nendobj 2 0 obj <</J#61vaSc",
        b"ript 1>>",
    ):
        scanner.feed(chunk)
    scanner.feed(b"", final=True)

    assert scanner.found == {"JavaScript"}


def test_encrypted_pdf_is_refused():
    rejected = refusal(files.encrypted_pdf(), "secret.pdf", "application/pdf")

    assert rejected.code == "pdf_encrypted"
    assert "password" in rejected.message


def test_fake_pdf_is_refused():
    rejected = refusal(files.fake_pdf(), "scan.pdf", "application/pdf")

    assert rejected.code == "unreadable"
    assert "“scan.pdf”" in rejected.message


def test_pdf_without_pages_is_refused():
    assert refusal(files.pdf_without_pages(), "blank.pdf").code == "pdf_no_pages"


def test_pdf_with_a_looping_page_tree_is_refused_not_crashed():
    assert refusal(files.pdf_with_page_tree_loop(), "loop.pdf").code == "unreadable"


def test_pdf_with_too_many_pages_is_refused(settings):
    settings.KZCN_MAX_PDF_PAGES = 3

    rejected = refusal(files.pdf_bytes(pages=4), "book.pdf")

    assert rejected.code == "pdf_too_many_pages"
    assert "4 pages" in rejected.message and "3" in rejected.message


# --- Limits for a whole report -------------------------------------------------------------------


def test_reasonable_set_of_files_passes_the_limits():
    check_limits([files.uploaded(files.jpeg_with_gps()), files.uploaded(files.pdf_bytes(), "a.pdf")])


def test_too_many_files_are_refused(settings):
    uploads = [files.uploaded(b"x" * 10, f"{n}.jpg") for n in range(settings.KZCN_MAX_FILES_PER_REPORT + 1)]

    with pytest.raises(EvidenceRejected) as caught:
        check_limits(uploads)

    assert caught.value.code == "too_many_files"
    assert f"at most {settings.KZCN_MAX_FILES_PER_REPORT} files" in caught.value.message


def test_files_adding_up_to_too_much_are_refused(settings):
    settings.KZCN_MAX_REPORT_BYTES = 1000
    uploads = [files.uploaded(b"x" * 400, f"{n}.jpg") for n in range(3)]

    with pytest.raises(EvidenceRejected) as caught:
        check_limits(uploads)

    assert caught.value.code == "report_too_large"


def test_an_empty_file_in_the_set_is_refused():
    with pytest.raises(EvidenceRejected) as caught:
        check_limits([files.uploaded(files.jpeg_with_gps()), files.uploaded(b"", "blank.jpg")])

    assert caught.value.code == "empty" and "“blank.jpg”" in caught.value.message


def test_an_oversize_file_in_the_set_is_refused(settings):
    settings.KZCN_MAX_FILE_BYTES = 100

    with pytest.raises(EvidenceRejected) as caught:
        check_limits([files.uploaded(b"x" * 101, "big.jpg")])

    assert caught.value.code == "too_large"


# --- File names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\Aigerim\\Desktop\\photo.jpg", "photo.jpg"),
        ("/var/www/../.htaccess", "htaccess"),
        ("a\x00b\r\nc\x1b[31m.jpg", "ab c[31m.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u2066photo\u2069\u200b.jpg", "photo.jpg"),
        ("  Фото завода  2024.JPG ", "Фото завода 2024.JPG"),
        ("", "file"),
        ("..", "file"),
        ("\u202e\u200f", "file"),
    ],
)
def test_file_names_are_made_safe_to_show(sent, shown):
    assert sanitise_filename(sent) == shown


def test_very_long_file_names_are_shortened_keeping_the_extension():
    shown = sanitise_filename("x" * 500 + ".jpeg")

    assert len(shown) <= 100
    assert shown.endswith("….jpeg")


def test_refusal_names_the_file_as_sanitised():
    rejected = refusal(files.html_as_jpg(), "../../\u202eevil.jpg")

    assert "“evil.jpg”" in rejected.message
    assert "\u202e" not in rejected.message and "/" not in rejected.message.split("”")[0]
