"""The AI gateway's HTTP client, its job records and errors, and the media download (no Django)."""

from studio.gateway.client import GatewayClient
from studio.gateway.errors import (
    AuthenticationError,
    GatewayError,
    GatewayUnreachable,
    InsufficientCredits,
    InvalidRequest,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    SubmitServerError,
    UnexpectedResponse,
)
from studio.gateway.media import (
    MediaDownloadError,
    MediaError,
    MediaExpired,
    MediaRefused,
    download_media,
)
from studio.gateway.probe import NotAVideo, VideoInfo, probe_video
from studio.gateway.records import JobRecord, JobStatus, parse_job_record

__all__ = [
    "AuthenticationError",
    "GatewayClient",
    "GatewayError",
    "GatewayUnreachable",
    "InsufficientCredits",
    "InvalidRequest",
    "JobRecord",
    "JobStatus",
    "MediaDownloadError",
    "MediaError",
    "MediaExpired",
    "MediaRefused",
    "NotAVideo",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "ServerError",
    "ServiceUnavailable",
    "SubmitServerError",
    "UnexpectedResponse",
    "VideoInfo",
    "download_media",
    "parse_job_record",
    "probe_video",
]
