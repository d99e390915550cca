"""Every path below /proxytest/ (cached/, live/, shortlived/ pick the proxy's cache zone)."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^(?P<rest>.*)$", views.echo, name="proxytest_echo"),
]
