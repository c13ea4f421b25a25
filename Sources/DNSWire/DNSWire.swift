/// The DNSWire module; see the folder layout for its concepts.
public enum DNSWireModule {}
