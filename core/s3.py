"""The S3 storage of private files (django-storages), with an optional public endpoint.

Inside a cluster the web and worker pods reach the store at an internal address
(``S3_ENDPOINT_URL``, e.g. http://minio:9000) that browsers cannot. With
``S3_PUBLIC_ENDPOINT_URL`` set, presigned download URLs are signed for that address instead
(signing needs no network); the proxy there forwards to the store with the Host unchanged.
"""

from __future__ import annotations

import boto3
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PrivateS3Storage(S3Storage):
    presigned_downloads = True

    def __init__(self, *, public_endpoint_url: str | None = None, **options) -> None:
        self.public_endpoint_url = public_endpoint_url
        self._public_client = None
        super().__init__(**options)

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.public_endpoint_url:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        if self._public_client is None:
            self._public_client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.public_endpoint_url,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                region_name=self.region_name,
                config=self.client_config,
            )
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        return self._public_client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expire or self.querystring_expire
        )
