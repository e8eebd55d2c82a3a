"""ССТУ.РФ reporting: the classifier, appeal questions and outcomes, the monthly documents."""
