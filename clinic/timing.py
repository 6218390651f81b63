"""The ``Server-Timing`` header: how long the app took over each response."""

import time


class ServerTimingMiddleware:
    """Adds ``Server-Timing: app;dur=<ms>`` to every response: the milliseconds, to one
    decimal, from this middleware's entry to the response it hands back (the middleware
    below it, the view and the template; a streamed file's body is sent afterwards and
    not counted). Browsers' developer tools and the chart-speed browser test read it. It
    carries the duration only: an attacker timing requests from outside learns nothing
    more from it than from the clock."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        earlier = response.get("Server-Timing")
        response["Server-Timing"] = f"{earlier}, {timing}" if earlier else timing
        return response
