"""ССТУ.РФ (decree No. 171): the monthly appeal document and its upload."""
