#!/usr/bin/env python3
"""Run the real Python icloudpd 1.32.3 against a fake Apple server on loopback.

Usage (inside the venv made by scripts/python-icloudpd.sh):

    ICLOUD_AUTH_ENDPOINT=http://127.0.0.1:PORT \
    ICLOUD_SETUP_ENDPOINT=http://127.0.0.1:PORT \
    ICLOUD_HOME_ENDPOINT=http://127.0.0.1:PORT \
        python icloudpd_launcher.py --username ... --password ... --auth-only --cookie-directory DIR

Each variable is a base URL (scheme://host:port, no path). When set, the endpoints icloudpd derives
from `--domain` are replaced:

    AUTH_ROOT_ENDPOINT = $ICLOUD_AUTH_ENDPOINT              (Origin/Referer of signin requests)
    AUTH_ENDPOINT      = $ICLOUD_AUTH_ENDPOINT/appleauth/auth
    SETUP_ENDPOINT     = $ICLOUD_SETUP_ENDPOINT/setup/ws/1
    HOME_ENDPOINT      = $ICLOUD_HOME_ENDPOINT              (session Origin/Referer)

plus the idmsa URL that `pyicloud_ipd.sms` builds for the trusted-phone-number / SMS requests.
Unset variables leave icloudpd's own value. Everything else (headers such as
`X-Apple-OAuth-Redirect-URI`, request bodies, cookie handling, log texts) is left untouched on
purpose: the point is to see the unmodified client's behaviour.

Extra, launcher-only behaviour:
* PYTHON_KEYRING_BACKEND is forced to the null keyring, so no real keyring is ever read or written
  (set ICLOUDPD_LAUNCHER_KEEP_KEYRING=1 to keep the caller's value).
* Loopback addresses are added to NO_PROXY so a proxy configured in the environment is bypassed.
* `--launcher-print-endpoints` (must be the first argument) prints the URLs icloudpd would use and
  exits without touching the network.

The exit status is icloudpd's own (`icloudpd.cli.cli()`), 0 on success.
"""

from __future__ import annotations

import os
import sys

EXPECTED_VERSION = "1.32.3"

AUTH_ENV = "ICLOUD_AUTH_ENDPOINT"
SETUP_ENV = "ICLOUD_SETUP_ENDPOINT"
HOME_ENV = "ICLOUD_HOME_ENDPOINT"


def _base(env: str) -> str | None:
    value = os.environ.get(env, "").strip()
    if not value:
        return None
    if not (value.startswith("http://") or value.startswith("https://")):
        sys.exit(f"icloudpd_launcher: {env} must be a base URL like http://127.0.0.1:PORT, got {value!r}")
    return value.rstrip("/")


def _prepare_environment() -> None:
    if not os.environ.get("ICLOUDPD_LAUNCHER_KEEP_KEYRING"):
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    loopback = ["127.0.0.1", "localhost", "::1"]
    for var in ("NO_PROXY", "no_proxy"):
        existing = [h for h in os.environ.get(var, "").split(",") if h.strip()]
        os.environ[var] = ",".join(existing + [h for h in loopback if h not in existing])


class _Endpoint:
    """Data descriptor replacing one of PyiCloudService's endpoint attributes.

    `PyiCloudService.__init__` assigns the endpoints from `--domain` and immediately authenticates
    (still inside `__init__`), so patching after construction is too late. A data descriptor on the
    class intercepts both the assignment (the original value is kept) and every read (the override
    wins), whatever order `__init__` does things in.
    """

    def __init__(self, env: str, suffix: str) -> None:
        self.env = env
        self.suffix = suffix
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_launcher_original_{name}"

    def __get__(self, obj: object, objtype: type | None = None) -> object:
        if obj is None:
            return self
        base = _base(self.env)
        if base is not None:
            return base + self.suffix
        try:
            return obj.__dict__[self.slot]
        except KeyError:
            raise AttributeError(self.slot) from None

    def __set__(self, obj: object, value: str) -> None:
        obj.__dict__[self.slot] = value


def _patch() -> None:
    import importlib.metadata

    version = importlib.metadata.version("icloudpd")
    if version != EXPECTED_VERSION:
        sys.exit(
            f"icloudpd_launcher: expected icloudpd {EXPECTED_VERSION}, found {version}; "
            "run scripts/python-icloudpd.sh --force"
        )

    import pyicloud_ipd.base as base_mod
    import pyicloud_ipd.sms as sms_mod

    service = base_mod.PyiCloudService
    # Fail loudly if the module layout is not the one this launcher was written against.
    init_src = service.__init__.__code__.co_consts
    for needle in (
        "https://idmsa.apple.com",
        "https://idmsa.apple.com/appleauth/auth",
        "https://www.icloud.com",
        "https://setup.icloud.com/setup/ws/1",
    ):
        if needle not in init_src:
            sys.exit(f"icloudpd_launcher: PyiCloudService.__init__ no longer assigns {needle!r}")
    if not callable(getattr(sms_mod, "_auth_url", None)):
        sys.exit("icloudpd_launcher: pyicloud_ipd.sms._auth_url is missing")

    for name, env, suffix in (
        ("AUTH_ROOT_ENDPOINT", AUTH_ENV, ""),
        ("AUTH_ENDPOINT", AUTH_ENV, "/appleauth/auth"),
        ("SETUP_ENDPOINT", SETUP_ENV, "/setup/ws/1"),
        ("HOME_ENDPOINT", HOME_ENV, ""),
    ):
        descriptor = _Endpoint(env, suffix)
        descriptor.__set_name__(service, name)
        setattr(service, name, descriptor)

    original_auth_url = sms_mod._auth_url

    def _auth_url(domain: str) -> str:
        base = _base(AUTH_ENV)
        return base + "/appleauth/auth" if base is not None else original_auth_url(domain)

    # build_*_request look the function up in the module globals at call time.
    sms_mod._auth_url = _auth_url


def _print_endpoints(domain: str) -> None:
    import pyicloud_ipd.base as base_mod
    import pyicloud_ipd.sms as sms_mod

    # Construct without running __init__ (which would authenticate), then replay its assignments.
    service = base_mod.PyiCloudService.__new__(base_mod.PyiCloudService)
    roots = {
        "com": ("https://idmsa.apple.com", "https://www.icloud.com", "https://setup.icloud.com"),
        "cn": ("https://idmsa.apple.com.cn", "https://www.icloud.com.cn", "https://setup.icloud.com.cn"),
    }[domain]
    service.AUTH_ROOT_ENDPOINT = roots[0]
    service.AUTH_ENDPOINT = roots[0] + "/appleauth/auth"
    service.HOME_ENDPOINT = roots[1]
    service.SETUP_ENDPOINT = roots[2] + "/setup/ws/1"
    for name in ("AUTH_ROOT_ENDPOINT", "AUTH_ENDPOINT", "SETUP_ENDPOINT", "HOME_ENDPOINT"):
        print(f"{name}={getattr(service, name)}")
    print(f"SMS_AUTH_URL={sms_mod._auth_url(domain)}")
    print(f"PYTHON_KEYRING_BACKEND={os.environ.get('PYTHON_KEYRING_BACKEND', '')}")


def main() -> int:
    _prepare_environment()
    _patch()
    args = sys.argv[1:]
    if args[:1] == ["--launcher-print-endpoints"]:
        _print_endpoints(args[1] if len(args) > 1 else "com")
        return 0
    import icloudpd.cli

    sys.argv = ["icloudpd", *args]
    return icloudpd.cli.cli()


if __name__ == "__main__":
    sys.exit(main())
