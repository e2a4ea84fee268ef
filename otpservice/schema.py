"""drf-spectacular hooks: publish the API's canonical paths (no trailing slash)."""


def canonical_paths(endpoints, **kwargs):
    """Routes accept an optional trailing slash; the contract spells them without one."""
    return [
        (path.rstrip("/") if path.startswith("/api/v1/") else path, regex, method, callback)
        for path, regex, method, callback in endpoints
    ]
