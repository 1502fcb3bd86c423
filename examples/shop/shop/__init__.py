"""A small web shop backend: products, carts, checkout and sessions."""
