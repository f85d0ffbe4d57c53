"""The benchmark behind ``invoke bench``: a synthetic corpus and a timing harness."""
