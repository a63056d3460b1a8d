"""The 1000 ImageNet class names (placeholder until the list lands)."""


def imagenet_class_names():
    return None
