"""The Atom feeds carry what reporters wrote as plain text, so a feed reader never renders it.

Django's Atom feed sends item descriptions as `type="html"`: a reader then shows the images and
follows the links a reporter typed (a tracking pixel reveals who reads the feed). Every text
construct of our feeds (titles, subtitle, rights, summaries) must say `type="text"` and hold no
markup from a report, and a character XML cannot carry must not break the feed.
"""

from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.reports import make_report, make_site_project

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
TEXT_CONSTRUCTS = ["title", "subtitle", "rights", "summary", "content"]
# What a hostile or careless reporter may type, and what of it must never reach a reader as markup.
MARKUP = {
    "<img src='https://tracker.example/pixel.gif'>": "<img",
    "<a href='https://phish.example/'>official notice</a>": "<a ",
    "<script>alert(1)</script>": "<script",
    "<iframe src=https://evil.example/></iframe>": "<iframe",
    "<b>loud</b>": "<b>",
    "&lt;img src=x onerror=alert(1)&gt;": None,  # an escaped tag is text already; it stays as typed
}


@pytest.fixture
def project():
    return make_site_project()


@pytest.fixture
def marked_up_reports(project):
    for number, snippet in enumerate(MARKUP):
        make_report(
            project=project,
            region="kyzylorda",
            status="published",
            published_at=timezone.now(),
            public_title=f"Dust {number} {snippet}",
            public_description=f"Dust every night. {snippet} The river smells.\x0b\x01 Children cough.",
        )


def feed_urls(project) -> list[str]:
    return [
        reverse("impacts:feed"),
        reverse("impacts:project_feed", args=[project.slug]),
        reverse("impacts:region_feed", args=["kyzylorda"]),
    ]


def parse(client, url) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own feed, not untrusted input)


def text_constructs(feed: ElementTree.Element) -> list[ElementTree.Element]:
    return [element for name in TEXT_CONSTRUCTS for element in feed.iter(f"{ATOM}{name}")]


def test_every_text_construct_of_every_feed_is_plain_text(client, project, marked_up_reports):
    for url in feed_urls(project):
        feed = parse(client, url)
        assert len(feed.findall(f"{ATOM}entry")) == len(MARKUP)
        elements = text_constructs(feed)
        assert {element.tag for element in elements} >= {f"{ATOM}title", f"{ATOM}summary", f"{ATOM}rights"}
        for element in elements:
            assert element.get("type") == "text", (url, element.tag)
            assert list(element) == [], (url, element.tag)  # no child elements
            for tag_start in filter(None, MARKUP.values()):
                assert tag_start not in (element.text or ""), (url, element.tag, element.text)


def test_the_reporters_words_survive_around_the_removed_markup(client, project, marked_up_reports):
    feed = parse(client, reverse("impacts:feed"))
    summaries = [entry.find(f"{ATOM}summary").text for entry in feed.findall(f"{ATOM}entry")]
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    assert all(summary.startswith("Dust every night.") for summary in summaries)
    assert all(summary.endswith("The river smells. Children cough.") for summary in summaries)
    assert "Dust 4 loud" in titles  # <b>loud</b>: the word stays, the tag goes
    assert "Dust 5 &lt;img src=x onerror=alert(1)&gt;" in titles  # typed as such: shown as typed


def test_the_project_name_in_a_feed_title_is_text_too(client):
    project = make_site_project(name_en="Plant <img src=x>", slug="plant")
    feed = parse(client, reverse("impacts:project_feed", args=[project.slug]))
    title = feed.find(f"{ATOM}title")
    assert title.get("type") == "text"
    assert "<img" not in title.text and "Plant" in title.text
