"""Admin sign-in is throttled by django-axes: a username and address pair locks after 5 wrong passwords."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("ops", password=PASSWORD, is_staff=True, is_superuser=True)


def attempt(password, *, username="ops", address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def signed_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_five_wrong_passwords_lock_the_username_from_that_address_even_for_the_right_one(staff):
    for _ in range(4):
        assert attempt("wrong").status_code == 200  # the form again, with its error
    assert attempt("wrong").status_code == 429  # the fifth failure locks
    locked = attempt(PASSWORD)
    assert locked.status_code == 429
    assert b"Sign-in temporarily locked" in locked.content
    assert not signed_in(locked)


def test_the_lock_holds_only_for_that_pair(staff):
    get_user_model().objects.create_user("other", password=PASSWORD, is_staff=True)
    for _ in range(5):
        attempt("wrong")
    assert signed_in(attempt(PASSWORD, address="198.51.100.9"))  # the real staff member, elsewhere
    assert signed_in(attempt(PASSWORD, username="other"))  # another username from that address


def test_a_successful_sign_in_resets_the_count(staff):
    for _ in range(4):
        attempt("wrong")
    assert signed_in(attempt(PASSWORD))
    for _ in range(4):
        attempt("wrong")
    assert signed_in(attempt(PASSWORD))


def test_the_lock_follows_the_proxy_aware_client_address(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(password, forwarded_for):
        # Behind one proxy of ours, the end user's address is the last X-Forwarded-For entry;
        # whatever the client wrote before it is not trusted.
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
        return client.post(LOGIN, {"username": "ops", "password": password, "next": "/admin/"})

    for index in range(5):
        via_proxy("wrong", f"192.0.2.{index}, 203.0.113.7")  # spoofed first entries change nothing
    assert via_proxy(PASSWORD, "203.0.113.7").status_code == 429
    assert signed_in(via_proxy(PASSWORD, "198.51.100.9"))  # another user behind the same proxy
