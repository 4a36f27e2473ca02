"""The processes qrforge runs (`qrforge serve`, `qrforge worker`, ...), composed of the app
(app/) and its worker (workers/): dependencies point qrforge -> workers -> app."""
