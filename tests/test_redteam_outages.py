"""A visitor sends the project suggestion form, added today, while Redis is down (issue 10, item 13:
"a clear 503 page that keeps the text"). The rate limit needs Redis, so the form cannot be taken;
what the person typed, the claim and its source, must come back to them on the 503 page.
"""

import pytest

from projects.models import Suggestion
from tests.test_outages import _fresh_axes_handler, redis_down  # noqa: F401 (fixtures)
from tests.test_project_suggestions import URL, suggestion_data

pytestmark = pytest.mark.django_db

CLAIM = "The akimat says the plant's second line started in March 2026."
SOURCE = "https://akimat.example.kz/news/2026-03-plant"


@pytest.mark.usefixtures("redis_down")
@pytest.mark.parametrize("kind", ["new_project", "correction"])
def test_a_suggestion_sent_while_redis_is_down_comes_back_with_the_typed_claim_and_source(client, kind):
    data = suggestion_data(
        None,
        details=CLAIM,
        source_url=SOURCE,
        source_title="Akimat news",
        project_name="Second cement line" if kind == "new_project" else "",
    )

    response = client.post(URL, data)

    assert response.status_code == 503
    assert response["Cache-Control"].startswith("no-store")
    page = response.content.decode()
    assert "The site is briefly unavailable" in page
    assert "The akimat says the plant&#x27;s second line started in March 2026." in page
    assert SOURCE in page and "Akimat news" in page
    if kind == "new_project":
        assert "Second cement line" in page
    assert Suggestion.objects.count() == 0
