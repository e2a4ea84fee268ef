"""django-phone-verify, the peer: installed from PyPI into a throw-away venv, with a minimal project
generated here at run time (nothing of it is committed), on the same PostgreSQL server and the same
gunicorn and connection settings as the service.

Its SMS backend does nothing (the peer sends the SMS inside the request; a real provider call would
only make it slower). Its verify rows are seeded with known codes, as it stores them in plaintext.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from bench.topology import PG_SERVER, children, free_port, psql, rss_mib, wait_http

VERSION = os.environ.get("BENCH_PEER_VERSION", "3.3.0")
# Same releases as the service where the peer shares a dependency.
PINS = [f"django-phone-verify=={VERSION}", "Django==5.2.19", "djangorestframework==3.18.3", "gunicorn==27.0.1",
        "psycopg[binary]==3.3.9"]

SETTINGS = '''
import os
SECRET_KEY = os.environ["PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "phone_verify"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "peerproj.urls"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql", "NAME": os.environ["PEER_DB"], "USER": "postgres",
    "HOST": "127.0.0.1", "PORT": "5432",
    # No health check: ours runs one at most every DB_HEALTH_CHECK_SECONDS, an interval Django's
    # backend does not have, so the peer is given none rather than one per request.
    "CONN_MAX_AGE": int(os.environ.get("PEER_CONN_MAX_AGE", "60")), "CONN_HEALTH_CHECKS": False,
}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [], "UNAUTHENTICATED_USER": None}
PHONE_VERIFICATION = {
    "BACKEND": "peerproj.backend.NullBackend",
    "OPTIONS": {},
    "TOKEN_LENGTH": 6,
    "MESSAGE": "Welcome to {app}! Please use security code {security_code} to proceed.",
    "APP_NAME": "Bench",
    "SECURITY_CODE_EXPIRATION_SECONDS": 3600,
    "VERIFY_SECURITY_CODE_ONLY_ONCE": False,
}
'''
FILES = {
    "manage.py": "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'peerproj.settings')\n"
                 "from django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
    "peerproj/__init__.py": "",
    "peerproj/settings.py": SETTINGS,
    "peerproj/urls.py": "from django.urls import include, path\n"
                        "urlpatterns = [path('api/', include('phone_verify.urls'))]\n",
    "peerproj/wsgi.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'peerproj.settings')\n"
                        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
    "peerproj/backend.py": "from phone_verify.backends.base import BaseBackend\n\n\n"
                           "class NullBackend(BaseBackend):\n"
                           "    def send_sms(self, number, message):\n        pass\n\n"
                           "    def send_bulk_sms(self, numbers, message):\n        pass\n",
}


class Peer:
    def __init__(self, *, database: str, conn_max_age: int = 60):
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="otp-bench-peer-"))
        reuse = os.environ.get("BENCH_PEER_VENV")  # an existing venv, to skip the install
        self.venv = Path(reuse) if reuse else self.dir / "venv"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(self.dir)),
            "PEER_SECRET_KEY": secrets.token_hex(32), "PEER_DB": database, "PEER_CONN_MAX_AGE": str(conn_max_age),
        }
        self.process: subprocess.Popen | None = None

    def install(self) -> str:
        """Returns the installed version, as pip reports it."""
        python = self.venv / "bin" / "python"
        if not python.exists():
            subprocess.run(["python3", "-m", "venv", str(self.venv)], check=True, capture_output=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS], check=True, capture_output=True)
        for name, text in FILES.items():
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (self.dir / name).write_text(text)
        psql(f'DROP DATABASE IF EXISTS "{self.database}"')
        psql(f'CREATE DATABASE "{self.database}"')
        subprocess.run([str(python), "manage.py", "migrate", "--noinput"], cwd=self.dir, env=self.env, check=True,
                       capture_output=True)
        out = subprocess.run([str(python), "-m", "pip", "show", "django-phone-verify"], capture_output=True, text=True)
        return next((line.split(":", 1)[1].strip() for line in out.stdout.splitlines() if line.startswith("Version")), "?")

    def start(self, *, workers: int = 2) -> None:
        log = open(self.dir / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(self.venv / "bin" / "gunicorn"), "peerproj.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--access-logfile", str(self.dir / "access.log")],
            cwd=self.dir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        # The peer has no health endpoint: a register answering 200 means it is up.
        wait_http(f"{self.url}/api/phone/register", timeout=60, post=b'{"phone_number": "+14155552671"}')

    def verify_pool(self, *, count: int, path: Path) -> Path:
        """`count` pending verifications with known codes (it keeps them in plaintext), as register
        writes them; `path` gets "phone token code" lines for bench/lua/peer.lua."""
        rows, lines = [], []
        for n in range(count):
            phone, token, code = f"+16502{n % 1_000_000:06d}", secrets.token_urlsafe(96), f"{n % 1_000_000:06d}"
            rows.append(f"{uuid.uuid4()}\t{code}\t{phone}\t{token}\tf\t0\tnow\tnow")
            lines.append(f"{phone} {token} {code}")
        subprocess.run(
            ["psql", f"{PG_SERVER}/{self.database}", "-v", "ON_ERROR_STOP=1", "-qc",
             "\\copy sms_verification (id, security_code, phone_number, session_token, is_verified, failed_attempts, "
             "created_at, modified_at) FROM pstdin"],
            input="\n".join(rows) + "\n", text=True, check=True, capture_output=True,
        )
        psql("ANALYZE sms_verification", database=self.database)
        path.write_text("\n".join(lines) + "\n")
        return path

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *children(self.process.pid)]

    def memory(self) -> dict[str, float]:
        if self.process is None or self.process.poll() is not None:
            return {}
        out = {"peer gunicorn master": rss_mib(self.process.pid)}
        for n, child in enumerate(children(self.process.pid), 1):
            out[f"peer gunicorn child {n}"] = rss_mib(child)
        return out

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        try:
            psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
