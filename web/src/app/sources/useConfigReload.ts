// Placeholder until the configChanges subscription lands (replaced by the merge).
export function useConfigReload(_kinds: string[], _reload: () => void): void {}
