from rest_framework.throttling import UserRateThrottle


class GenerationRateThrottle(UserRateThrottle):
    """One limit per user for every request that starts a model job.

    Keyed by the authenticated user's id only, never by a header a client sets.
    """

    scope = "generation"
