/// The PKI module; see the folder layout for its concepts.
public enum PKIModule {}
