"""No library the site loads may loosen Pillow's process-wide safety settings.

WeasyPrint (the letters to authorities) sets `ImageFile.LOAD_TRUNCATED_IMAGES = True` when imported;
in a web or worker process that later checks a photo, a truncated or damaged file would then pass.
So every module of the site is imported, a letter is made, and the settings must be as Pillow ships
them (and the evidence pipeline still refuses a truncated photo).
"""

import importlib
import io
import pkgutil

import pytest
from PIL import Image, ImageFile

import impacts
import kzcn
import projects

from .evidence_files import noisy_jpeg

SAFE = {"LOAD_TRUNCATED_IMAGES": False}


def every_module():
    for package in (kzcn, projects, impacts):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in info.name and not info.name.endswith(".tests"):
                yield info.name


@pytest.mark.django_db
def test_no_module_of_the_site_loosens_pillows_checks():
    pixels = Image.MAX_IMAGE_PIXELS
    for name in every_module():
        importlib.import_module(name)
    from impacts.authorities import letter

    letter._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert Image.MAX_IMAGE_PIXELS == pixels


@pytest.mark.django_db
def test_a_truncated_photo_is_refused_after_a_letter_was_made():
    from impacts.authorities import letter

    letter._weasyprint()
    truncated = noisy_jpeg(200, 150)[:-400]
    with pytest.raises(OSError), Image.open(io.BytesIO(truncated)) as image:
        image.load()
