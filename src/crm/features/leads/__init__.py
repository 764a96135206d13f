"""Lead desk: intake API, de-duplication of leads and weighted distribution of contacts among operators."""
