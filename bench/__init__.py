"""`make bench`: the platform measured on the distributed stack of `make up`."""
