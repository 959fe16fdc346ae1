"""The route registry of the course's original Python design, kept so that
deck 03 can set it beside its C++ translation (stages/03-routing/routes.cpp).

    python3 slides/examples/decorator.py

prints the routes that the decorators registered, in declaration order.
"""

# ANCHOR: registry
registered_routes = []

def add_route(methods, path):
    def decorator(fn):
        registered_routes.append((methods, path, fn))
        return fn
    return decorator
# ANCHOR_END: registry


# ANCHOR: say_hello
@add_route(["GET"], "/hello/<name>")
def say_hello(request, name):
    hi = request.args.get("greeting", "Hello")
    return f"{hi}, {name}!\n"
# ANCHOR_END: say_hello


if __name__ == "__main__":
    for methods, path, fn in registered_routes:
        print(" ".join(methods), path, "->", fn.__name__)
