"""What goes onto a board: the firmware compiled with mpy-cross, its ROMFS image and
manifest per MCU, and the mpremote session that deploys it."""
