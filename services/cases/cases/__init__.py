"""Cases (案卷): the closed loop from filing to closure."""
