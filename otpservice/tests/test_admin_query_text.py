"""Admin query strings the database could not hold are a 400, not a database error."""
import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/events/webhookdelivery/?status=%00",
        "/admin/otp/otpsession/?q=%00",
        "/admin/otp/otpsession/?%00=1",
    ],
)
def test_a_nul_or_lone_surrogate_in_an_admin_query_is_refused(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400
    assert b"Bad query parameter" in response.content


def test_ordinary_admin_queries_still_work(admin_client):
    assert admin_client.get("/admin/events/webhookdelivery/?status=failed").status_code == 200
