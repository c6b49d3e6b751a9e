"""What the people running the app use: the load balancer's health check and `doctor`."""
