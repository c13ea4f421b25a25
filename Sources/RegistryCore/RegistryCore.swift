/// The RegistryCore module; see the folder layout for its concepts.
public enum RegistryCoreModule {}
