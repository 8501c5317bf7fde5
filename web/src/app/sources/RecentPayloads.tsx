// Placeholder until recentPayloads lands (replaced by the merge).
export function RecentPayloads(_props: { sourceId: string; pick: (payload: unknown) => void }) {
  return null;
}
