"""Rate limits on a real Redis (the production cache): counting, expiry, and what is stored."""
import pytest
import redis

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

SMS = "+14155552671"


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "otp",
            "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
        }
    }
    return redis.Redis.from_url(redis_url)


def send(client, sms=SMS, **extra):
    return client.post("/api/v1/otp/send", {"channels": ["sms"], "recipients": {"sms": sms}, **extra})


def test_headers_count_down_and_the_limit_holds_on_redis(api, settings, redis_cache):
    settings.OTP = {**settings.OTP, "RATE_SEND": "3/m", "RATE_RECIPIENT": "10/5m"}
    responses = [send(api) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert responses[-1].headers["Retry-After"] == responses[-1].headers["X-RateLimit-Reset"]


def test_the_recipient_limit_holds_on_redis(api, redis_cache):
    assert [send(api).status_code for _ in range(6)] == [200] * 5 + [429]


def test_counters_expire_with_their_window_and_store_no_recipient_or_account(api, account, settings, redis_cache):
    settings.OTP = {**settings.OTP, "RATE_SEND": "100/m", "RATE_RECIPIENT": "5/5m", "RATE_IP": "20/h"}
    assert send(api).status_code == 200
    keys = redis_cache.keys("*")
    limiter_keys = [key for key in keys if b":rl:" in key]
    assert len(limiter_keys) == 3  # account send, client IP, recipient
    ttls = sorted(redis_cache.ttl(key) for key in limiter_keys)
    assert 0 < ttls[0] <= 60 + 5 and ttls[-1] <= 3600 + 5
    dump = b" ".join(keys)
    assert SMS.encode() not in dump and str(account.pk).encode() not in dump  # keys are hashed



# One inbox, many spellings: the case of an email, and at Gmail dots, +tags and googlemail.com.
GMAIL_VARIANTS = [
    "adalovelace@gmail.com", "AdaLovelace@gmail.com", "ada.lovelace@gmail.com", "a.d.a.lovelace@gmail.com",
    "adalovelace+1@gmail.com", "ada.lovelace+otp@gmail.com", "ADALOVELACE@GMAIL.COM", "adalovelace@googlemail.com",
    "Ada.Lovelace+x@GoogleMail.com", "adalove.lace@gmail.com",
]
CORPORATE_VARIANTS = [
    "ada@example.com", "Ada@example.com", "ADA@example.com", "ada@Example.com", "aDa@EXAMPLE.COM",
    "AdA@example.com", "adA@example.com", "ADa@Example.Com", "aDA@example.com", "Ada@EXAMPLE.com",
]


def send_email(client, email):
    return client.post("/api/v1/otp/send", {"channels": ["email"], "recipients": {"email": email}})


@pytest.mark.parametrize("variants", [GMAIL_VARIANTS, CORPORATE_VARIANTS], ids=["gmail", "corporate"])
def test_twenty_spellings_of_one_inbox_share_one_recipient_limit(api, settings, redis_cache, variants):
    settings.OTP = {**settings.OTP, "RATE_RECIPIENT": "5/5m", "RATE_SEND": "1000/m", "RATE_IP": "1000/h"}
    statuses = [send_email(api, email).status_code for email in variants + variants]
    assert statuses == [200] * 5 + [429] * 15


def test_resends_to_a_respelt_inbox_count_against_the_same_limit(api, settings, redis_cache):
    settings.OTP = {
        **settings.OTP, "RATE_RECIPIENT": "3/5m", "RESEND_COOLDOWN_SECONDS": 0, "RATE_IP": "1000/h",
    }
    sent = send_email(api, "ada.lovelace+a@gmail.com").json()
    assert send_email(api, "AdaLovelace@gmail.com").status_code == 200
    resends = [api.post("/api/v1/otp/resend", {"session_token": sent["session_token"]}).status_code for _ in range(2)]
    assert resends == [200, 429]
    assert send_email(api, "adalovelace@googlemail.com").status_code == 429
