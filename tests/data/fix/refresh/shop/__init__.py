from .prices import WORDS, price  # re-exported: tests importing from here must see a candidate's
