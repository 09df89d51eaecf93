"""placeholder"""


def register_dispute_pages():
    return None
