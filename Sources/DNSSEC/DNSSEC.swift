/// The DNSSEC module; see the folder layout for its concepts.
public enum DNSSECModule {}
