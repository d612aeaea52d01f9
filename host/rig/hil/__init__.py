"""Hardware in the loop on the host: the simulated board, scenario files, the closed-loop
runner and what it reports (metrics, checks, plots), and the paced virtual rig."""
