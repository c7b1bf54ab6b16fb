"""The API's routes, one module a resource; followthrough.api.api mounts them."""
