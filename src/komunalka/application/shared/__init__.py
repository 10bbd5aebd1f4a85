"""What every feature shares: who acts (actors), and the ports every feature may use."""
