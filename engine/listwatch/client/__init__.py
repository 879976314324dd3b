"""The client side of List-Watch: informers that list, watch and re-list."""
