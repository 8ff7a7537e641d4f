"""The demo world behind `omnicx demo`: a retailer's workspace with a member for every role."""
