"""The sending side of commands: the worker (:mod:`.worker`), the messages each transport carries
(:mod:`.messages`), where each LoRaWAN device's downlinks go (:mod:`.routes`), and cabinets over
Modbus (:mod:`.cabinets`). State and rules live in ``assets.commands``."""
