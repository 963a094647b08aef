"""An editor keeps the catalogue up to date in the admin."""

import pytest
from django.urls import reverse

from tests.catalogue import add_company, add_source, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("chief", "chief@example.org", "a-long-password-1")
    client.force_login(user)
    return client


def test_editor_finds_a_project_by_company_name(superuser_client):
    refinery = make_project(name_en="Shymkent refinery")
    add_company(refinery, "China Petroleum Engineering & Construction Corporation (CPECC)", role="contractor")
    make_project(name_en="Cement plant")

    response = superuser_client.get(reverse("admin:projects_project_changelist"), {"q": "CPECC"})

    assert response.status_code == 200
    assert "Shymkent refinery" in response.content.decode()
    assert "Cement plant" not in response.content.decode()


def test_editor_filters_projects_by_tie(superuser_client):
    make_project(name_en="Official plant", programme_tie="official")
    make_project(name_en="Reported plant", programme_tie="reported")

    response = superuser_client.get(reverse("admin:projects_project_changelist"), {"programme_tie__exact": "reported"})

    assert "Reported plant" in response.content.decode()
    assert "Official plant" not in response.content.decode()


def test_project_form_shows_parties_financing_and_sources_inline(superuser_client):
    project = make_project()
    source = add_source(project, title="Own project's report")
    add_source(make_project(), "https://example.org/other", title="Another project's report")
    add_company(project, "CNPC", source=source)

    response = superuser_client.get(reverse("admin:projects_project_change", args=[project.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "CNPC" in content
    assert "financings-TOTAL_FORMS" in content
    assert "sources-TOTAL_FORMS" in content
    # A party can cite only its own project's sources.
    assert f'<option value="{source.pk}">Own project&#x27;s report</option>' in content
    assert "Another project&#x27;s report" not in content


@pytest.mark.parametrize("url_name", ["admin:projects_company_changelist", "admin:projects_programmefigure_changelist"])
def test_companies_and_figures_have_their_admin(superuser_client, url_name):
    assert superuser_client.get(reverse(url_name)).status_code == 200
