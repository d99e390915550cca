"""Test-only OMERO.web app of the proxy scenario: views whose answers show what reached them."""
