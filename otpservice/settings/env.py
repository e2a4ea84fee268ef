"""The one django-environ reader every settings module uses, and what more than one of them reads."""
import environ

env = environ.Env()

# Cache, rate limits and (unless CELERY_BROKER_URL says otherwise) the Celery broker.
REDIS_URL = env.str("REDIS_URL", default="")
