// The console's Schedules section: the list (/admin/schedules), the create form
// (/admin/schedules/new) and one schedule's editor with its timeline (/admin/schedules/<id>).
import type { SectionProps } from "../admin/AdminConsole";
import { NewSchedule } from "./NewSchedule";
import { ScheduleEditor } from "./ScheduleEditor";
import { ScheduleList } from "./ScheduleList";
import "./schedules.css";

export function SchedulesSection({ id, params }: SectionProps) {
  if (id === "new") return <NewSchedule />;
  if (id) return <ScheduleEditor key={id} id={id} params={params} />;
  return <ScheduleList />;
}
