"""Storage settings for S3-compatible object storage (AWS S3, MinIO, Ceph, Scaleway...).

Chosen with KZCN_STORAGE=s3. Two buckets, both private (no public ACL): public derivatives in
KZCN_S3_BUCKET, sealed originals in KZCN_S3_SEALED_BUCKET, which should have its own, narrower
access policy. The site still serves every file through its own views, which check publication
and permissions; a URL made by the storage (``storage.url(name)``) is signed and expires after
KZCN_S3_SIGNED_URL_SECONDS. Credentials come from the usual AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY environment variables (or an instance role).
"""

BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(bucket: str, *, endpoint_url: str | None, region: str | None, signed_url_seconds: int) -> dict:
    """One STORAGES entry for a private bucket."""
    return {
        "BACKEND": BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": signed_url_seconds,
            "signature_version": "s3v4",  # V2 signatures are deprecated and refused by newer regions
            "file_overwrite": False,  # random names anyway; never replace evidence silently
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }


def s3_storages(
    *, bucket: str, sealed_bucket: str, endpoint_url: str | None = None, region: str | None = None,
    signed_url_seconds: int = 300,
) -> dict:  # fmt: skip
    """The "default" and "sealed" STORAGES entries."""
    if not bucket or not sealed_bucket or bucket == sealed_bucket:
        raise ValueError("KZCN_S3_BUCKET and KZCN_S3_SEALED_BUCKET must be set and different")
    options = {"endpoint_url": endpoint_url, "region": region, "signed_url_seconds": signed_url_seconds}
    return {"default": s3_storage(bucket, **options), "sealed": s3_storage(sealed_bucket, **options)}
