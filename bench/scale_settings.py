"""Production settings plus the bench's constant-response view (bench/scale.py only)."""

from xianyang_portal.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.scale_urls"
