"""Helpers for tests: API clients and browser log-in."""

from __future__ import annotations

from rest_framework.test import APIClient


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def login(page, username: str, password: str | None = None) -> None:
    from accounts.demo import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or DEMO_PASSWORD)
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url("**/accounts/home/")


def logout(page) -> None:
    page.click("button:has-text('退出')")
    page.wait_for_url("**/")
