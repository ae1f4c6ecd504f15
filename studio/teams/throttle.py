from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address login throttling counts failures by (AXES_CLIENT_IP_CALLABLE).

    `settings.LOGIN_CLIENT_IP_HEADER` names the META key: REMOTE_ADDR (the socket) by default;
    behind a proxy, the single-address header it sets and overwrites (e.g. HTTP_X_REAL_IP from
    nginx's `proxy_set_header X-Real-IP $remote_addr`). A list such as X-Forwarded-For is not
    read: its first entry is whatever the client wrote. Without the header (a request that did
    not come through the proxy), the socket's address.
    """
    header = getattr(settings, "LOGIN_CLIENT_IP_HEADER", "REMOTE_ADDR")
    address = request.META.get(header, "").strip()
    return address or request.META.get("REMOTE_ADDR")
